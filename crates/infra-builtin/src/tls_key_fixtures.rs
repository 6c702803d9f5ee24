//! Keys made by other tools (throwaway test keys, never used anywhere), with what those
//! tools say about them: the independent reference for `data "tls_public_key"`.

// generated with ssh-keygen / openssl; public halves, fingerprints (ssh-keygen -l) and ids
// (SHA-1 of the SubjectPublicKeyInfo DER) computed by Python's `cryptography` and ssh-keygen
pub(super) struct Fixture {
    pub name: &'static str,
    pub private: &'static str,
    pub openssh: bool,
    pub algorithm: &'static str,
    pub public_pem: &'static str,
    pub public_openssh: &'static str,
    pub md5: &'static str,
    pub sha256: &'static str,
    pub id: &'static str,
}

pub(super) const FIXTURES: &[Fixture] = &[
    Fixture {
        name: "ed25519_openssh",
        private: r#"-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACB7Q2K30VQxpMtBPt50BoPY89s4LgoR6MSYHqQ4SL5ObQAAAIhWTZmbVk2Z
mwAAAAtzc2gtZWQyNTUxOQAAACB7Q2K30VQxpMtBPt50BoPY89s4LgoR6MSYHqQ4SL5ObQ
AAAEBfj3O50dMKEMnsAP28FalLf3UohyRv8PLJTkgjrag7R3tDYrfRVDGky0E+3nQGg9jz
2zguChHoxJgepDhIvk5tAAAAAAECAwQF
-----END OPENSSH PRIVATE KEY-----
"#,
        openssh: true,
        algorithm: "ED25519",
        public_pem: r#"-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAe0Nit9FUMaTLQT7edAaD2PPbOC4KEejEmB6kOEi+Tm0=
-----END PUBLIC KEY-----
"#,
        public_openssh: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHtDYrfRVDGky0E+3nQGg9jz2zguChHoxJgepDhIvk5t\n",
        md5: "df:46:a6:74:d5:7c:20:d8:e9:ba:c2:17:05:b1:9e:b8",
        sha256: "SHA256:FsxADH/CbXoJXNjZE2i66/oV6SThnUp10ke4dKnckMc",
        id: "4ec43946c754390a4aa0cfa950205b04c9619963",
    },
    Fixture {
        name: "ecdsa_p384_openssh",
        private: r#"-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAiAAAABNlY2RzYS
1zaGEyLW5pc3RwMzg0AAAACG5pc3RwMzg0AAAAYQTvvK2M2xqNunscAckkuMLLASny54ej
SpvC9GjRGQjBcBGKjjf4Modqq50BoD5Qhjwss1+k+kB2i1+TRp4UyBS/7OQW5Ich53+WqQ
NmkcxoZ0YSUXQ3kIn9uWmY7br9qpAAAADIBPXrlAT165QAAAATZWNkc2Etc2hhMi1uaXN0
cDM4NAAAAAhuaXN0cDM4NAAAAGEE77ytjNsajbp7HAHJJLjCywEp8ueHo0qbwvRo0RkIwX
ARio43+DKHaqudAaA+UIY8LLNfpPpAdotfk0aeFMgUv+zkFuSHIed/lqkDZpHMaGdGElF0
N5CJ/blpmO26/aqQAAAAMDwhTIA3CERob084U+YZUt7lrRJ6OmDPWjVAyvNBCZJXWOiwDC
N2zuFCAMsiwIJEzwAAAAA=
-----END OPENSSH PRIVATE KEY-----
"#,
        openssh: true,
        algorithm: "ECDSA",
        public_pem: r#"-----BEGIN PUBLIC KEY-----
MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAE77ytjNsajbp7HAHJJLjCywEp8ueHo0qb
wvRo0RkIwXARio43+DKHaqudAaA+UIY8LLNfpPpAdotfk0aeFMgUv+zkFuSHIed/
lqkDZpHMaGdGElF0N5CJ/blpmO26/aqQ
-----END PUBLIC KEY-----
"#,
        public_openssh: "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBO+8rYzbGo26exwBySS4wssBKfLnh6NKm8L0aNEZCMFwEYqON/gyh2qrnQGgPlCGPCyzX6T6QHaLX5NGnhTIFL/s5BbkhyHnf5apA2aRzGhnRhJRdDeQif25aZjtuv2qkA==\n",
        md5: "8b:ba:51:4f:4e:c3:ae:82:7f:2c:62:c8:71:91:5a:fc",
        sha256: "SHA256:DVdavrijliYzY0zIG0IyJ3XYRmQjfQXC4q5lWKon8Sk",
        id: "f1b191d37d6b53b973b54a8277882fe94eec1ed6",
    },
    Fixture {
        name: "ecdsa_p256_sec1",
        private: r#"-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIGk4gJSb5/sHq6l/GRcTeQq+zDytNOlftMQDCNhpDzzkoAoGCCqGSM49
AwEHoUQDQgAEslRCBhZGv8/SvlSOUkjM5VOJum1iAaWc7UEvDUrKDJUS/apzKw9A
Ra0P9p40F6xMY1ptoBwpr8i3zUo+LGPsgw==
-----END EC PRIVATE KEY-----
"#,
        openssh: false,
        algorithm: "ECDSA",
        public_pem: r#"-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEslRCBhZGv8/SvlSOUkjM5VOJum1i
AaWc7UEvDUrKDJUS/apzKw9ARa0P9p40F6xMY1ptoBwpr8i3zUo+LGPsgw==
-----END PUBLIC KEY-----
"#,
        public_openssh: "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBLJUQgYWRr/P0r5UjlJIzOVTibptYgGlnO1BLw1KygyVEv2qcysPQEWtD/aeNBesTGNabaAcKa/It81KPixj7IM=\n",
        md5: "b4:2f:8c:73:d3:04:16:c5:78:14:f5:2f:5c:12:cd:b2",
        sha256: "SHA256:ExtKCgIAsxwtzNppuPTTwuKPvQQ+2Fqz99jCyV0CnJY",
        id: "de02b616f159dcdefdfbf7f7b3f76dfe568eb145",
    },
    Fixture {
        name: "rsa_pkcs1",
        private: r#"-----BEGIN RSA PRIVATE KEY-----
MIIEpAIBAAKCAQEAyxMjJSziT4c8ybHEQq4L5c8bJG0WQx1F2atFiCApIu5NjoS1
6z4LiDiwBCF72Gb1UjVcTF/30hsFeE/HMIwcjFKyyEkscoIRFarttQ/NFzj9DhI9
+aQe0JY+dEzxwf0inz7un/Td2j8Pg8iUBG9AgEHw6RAfiwBfHgt0rS92bbz1R/z5
ansnRV6Oc038ZHi5J1ozvVM+ADdgJdTCdg2G3kPh1u6EmfoEn9HqjbWDHLtcNnyE
rF99yVEC/Yf+/BgREdnBLotLy0CrjQE9xtbTC7UVZ1OIM9xdvVvpkoxxGoS7KfBZ
1/ZIck0tQN44dPuCMs35yLY71Yecvc9v8sSbKQIDAQABAoIBAEouX3RBBRqQCECV
U2AYO/hiw0N3Jd62XsG4stmbBevgqSwahmm8bHICYynfIWJXmd3B6Elt9RUnEcR1
QAoX5IXN38kSEc5yfNMxcUvmzcBh7O6q80CyFx+TApVxVg7K7U7Gqlx8El6bEovN
RWSpTyKK8/nvDda0+An9nU12PQiwi0Sl4aiIu64wt+4G4IGD71BdV7jOwohimdbe
Szy5dhmYHuvWVkkR9YC1wbRq9rsbEs/AJ74M3++tSNSU5PghgqvlUQmnVT7ZzjK7
PFO6JhQjJiJCPMOcRZqSrSfdtg/IRFkq1Vf0smCeImy4ui8VwPFF5X/QuHYXVjzf
MVF7eVECgYEA5DwrH6Mf55V0lGmelr9PVG6tKptQNZF/wl/GY843Gqew3VpG102J
gnbb5S7bw0rHmI5vrsyan4BsSGxPon81B/anwC8GmalZQ6E2IGvOvsxDi/XtpHao
V5zYUDB3BTnRoi/xTZEPP4Ddx8QyQhOoJrPbYRYyrmMPwSWhyLv2VacCgYEA48dp
ljagtfe6ATy6EDjarl/UAGJRGhB5kh+fZHu7BHRbv58z3bmCciJWyrRkAK+ACot9
CTi7RAmIYAnSweShDHhmLX5hgUL6Yt44Br1Mf18KQdMsq0IW97mDIazoJXTXquec
xShMK2eSArE072j7le9efBA/95+5jfVH+nG9Qq8CgYEA23O7Jz1rRPqg0L9JvLsQ
pSeSG8Cg/BD93kDG+lpjA58v4XaXXRfx2188Cn7m0j3J8zcpzdJv7mPGOlDitWVI
8XJKU/EjkIaUDQIqkDv4295+KEp8iMGLFkr6dwhSuNSibCdbBvEuzymylg1hIcXS
zfvsOcrlSmZ31IjBqciJkEsCgYA9z0cftAM4XdjjrQ7wh/0PhIGK+SL456+Vr28Z
XVoKg2jCPvlcGZMEVb0nlHvuk7EzK1bqwbJPbCbNqNzAMMJjF+jiP4FGCl7XpWWe
ro+roKav5hYhAvYokva6lKkKQQKlJeSsu5qvzJMal+u9a8eZkDMbh21UTMuVchHu
LB8nkQKBgQDRlSSko5BJZvZKZi0vNsKHQz3L7Bj4YIJU5aukIDpN2sk49805+Kdd
KxTF6UfFyrMhH1BFF8U/pL8FxQfnQbF6LsS+QndBn4GgOnwLoRjCWVGSwHH4XnvT
gRCc1lc/xQvq3gAi5K/AcoZZcahUDQN+v4LMUtszXL6zJpgmoSGUSQ==
-----END RSA PRIVATE KEY-----
"#,
        openssh: false,
        algorithm: "RSA",
        public_pem: r#"-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAyxMjJSziT4c8ybHEQq4L
5c8bJG0WQx1F2atFiCApIu5NjoS16z4LiDiwBCF72Gb1UjVcTF/30hsFeE/HMIwc
jFKyyEkscoIRFarttQ/NFzj9DhI9+aQe0JY+dEzxwf0inz7un/Td2j8Pg8iUBG9A
gEHw6RAfiwBfHgt0rS92bbz1R/z5ansnRV6Oc038ZHi5J1ozvVM+ADdgJdTCdg2G
3kPh1u6EmfoEn9HqjbWDHLtcNnyErF99yVEC/Yf+/BgREdnBLotLy0CrjQE9xtbT
C7UVZ1OIM9xdvVvpkoxxGoS7KfBZ1/ZIck0tQN44dPuCMs35yLY71Yecvc9v8sSb
KQIDAQAB
-----END PUBLIC KEY-----
"#,
        public_openssh: "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDLEyMlLOJPhzzJscRCrgvlzxskbRZDHUXZq0WIICki7k2OhLXrPguIOLAEIXvYZvVSNVxMX/fSGwV4T8cwjByMUrLISSxyghEVqu21D80XOP0OEj35pB7Qlj50TPHB/SKfPu6f9N3aPw+DyJQEb0CAQfDpEB+LAF8eC3StL3ZtvPVH/PlqeydFXo5zTfxkeLknWjO9Uz4AN2Al1MJ2DYbeQ+HW7oSZ+gSf0eqNtYMcu1w2fISsX33JUQL9h/78GBER2cEui0vLQKuNAT3G1tMLtRVnU4gz3F29W+mSjHEahLsp8FnX9khyTS1A3jh0+4IyzfnItjvVh5y9z2/yxJsp\n",
        md5: "6f:b6:b3:1e:4c:58:70:b6:86:32:34:26:10:cd:87:3f",
        sha256: "SHA256:AkRI9PEF4rAZScTnJ9/lX/jB22WGnJmlnRTnH49VzXg",
        id: "3c9260d7887ead8078254fef0e4671c3d827085f",
    },
    Fixture {
        name: "ed25519_pkcs8",
        private: r#"-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIOi1qvaph8Avr/3D5i//dSv7QQWjd9wYgokBjNyMH3b+
-----END PRIVATE KEY-----
"#,
        openssh: false,
        algorithm: "ED25519",
        public_pem: r#"-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAkM4RE6rOpi4aIrYycC0juEroQJXLb0sdXoDHjZBFMVk=
-----END PUBLIC KEY-----
"#,
        public_openssh: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJDOEROqzqYuGiK2MnAtI7hK6ECVy29LHV6Ax42QRTFZ\n",
        md5: "97:fe:ba:0a:95:00:c3:e0:ff:78:6b:e1:31:ff:c2:ae",
        sha256: "SHA256:1eLlpUUd/GrEfIwoeqKMeN9LdhJAqUEY/YW75ir5rZc",
        id: "8d7d54541a358fd1605ad638982d976be897f8a4",
    },
];

"""LocalStack's entry point (`python -m localstack.runtime.main`), with one fix for Python 3.11.

localstack-core 4.13.1's KMS gives every new symmetric key a key material id from
`uuid.uuid5(namespace, key_material)` with `key_material` as bytes, which Python 3.12
accepts and Python 3.11 (the version `up` runs it on) refuses with `TypeError: encoding
without a string argument`: every CreateKey answers 500. `uuid5` here takes bytes as 3.12's
does, and leaves strings as they were.
"""

import runpy
import uuid

_uuid5 = uuid.uuid5


def _uuid5_bytes(namespace, name):
    if isinstance(name, (bytes, bytearray)):
        from hashlib import sha1

        digest = sha1(namespace.bytes + bytes(name)).digest()
        return uuid.UUID(bytes=digest[:16], version=5)
    return _uuid5(namespace, name)


uuid.uuid5 = _uuid5_bytes

if __name__ == "__main__":
    runpy.run_module("localstack.runtime.main", run_name="__main__", alter_sys=True)

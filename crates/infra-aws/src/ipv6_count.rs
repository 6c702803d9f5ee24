//! An EC2 client interceptor for one emulator answer the SDK cannot parse.
//!
//! LocalStack (moto) reports an IPv6-only subnet with `<availableIpAddressCount>` =
//! 18446744073709551611 (a negative count wrapped to 64 bits). EC2's model types the
//! element as an `Integer`, so the SDK fails the whole CreateSubnet / DescribeSubnets
//! answer. Before the answer is deserialized, this rewrites an `availableIpAddressCount`
//! whose value does not fit an `Integer` to 0 (an IPv6-only subnet has no IPv4 addresses
//! to offer). AWS never sends such a value, so there the rewrite changes nothing; no other
//! element is touched.

use std::pin::Pin;
use std::task::{Context, Poll};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextMut;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

/// The element's name in EC2's XML (`Subnet$AvailableIpAddressCount`, xmlName
/// `availableIpAddressCount`).
const OPEN: &[u8] = b"<availableIpAddressCount>";
const CLOSE: &[u8] = b"</availableIpAddressCount>";

/// `body` with every out-of-range `availableIpAddressCount` set to 0, or `None` when
/// there is nothing to change.
pub fn rewrite(body: &[u8]) -> Option<Vec<u8>> {
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    let mut at = 0;
    while let Some(i) = find(&body[at..], OPEN) {
        let start = at + i + OPEN.len();
        let Some(len) = find(&body[start..], CLOSE) else {
            break;
        };
        let value = &body[start..start + len];
        at = start + len + CLOSE.len();
        if out_of_range(value) {
            let o = out.get_or_insert_with(|| Vec::with_capacity(body.len()));
            o.extend_from_slice(&body[copied..start]);
            o.push(b'0');
            copied = start + len;
        }
    }
    let mut o = out?;
    o.extend_from_slice(&body[copied..]);
    Some(o)
}

/// An integer (optionally negative, surrounded by blanks) that does not fit an `i32`.
fn out_of_range(value: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(value) else {
        return false;
    };
    let s = s.trim();
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && s.parse::<i32>().is_err()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The interceptor registered on infra's EC2 client (tests register it on their own
/// clients to read an IPv6-only subnet from the emulator).
#[derive(Debug, Default)]
pub struct AvailableIpCount;

impl Intercept for AvailableIpCount {
    fn name(&self) -> &'static str {
        "AvailableIpCount"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let body = context.response_mut().body_mut();
        if let Some(bytes) = body.bytes() {
            if let Some(fixed) = rewrite(bytes) {
                *body = SdkBody::from(fixed);
            }
            return Ok(());
        }
        // a streamed answer: read it whole (deserialization does so next anyway)
        let inner = std::mem::replace(body, SdkBody::taken());
        *body = SdkBody::from_body_1_x(Buffered {
            inner: Box::pin(inner),
            buf: Vec::new(),
            done: false,
        });
        Ok(())
    }
}

/// A body that reads `inner` to its end and yields it, rewritten, as one frame.
struct Buffered {
    inner: Pin<Box<SdkBody>>,
    buf: Vec<u8>,
    done: bool,
}

impl Body for Buffered {
    type Data = Bytes;
    type Error = aws_smithy_types::body::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        loop {
            if self.done {
                return Poll::Ready(None);
            }
            match self.inner.as_mut().poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(frame))) => {
                    // an EC2 answer has no trailers; data is all there is
                    if let Ok(data) = frame.into_data() {
                        self.buf.extend_from_slice(&data);
                    }
                }
                Poll::Ready(None) => {
                    self.done = true;
                    let buf = std::mem::take(&mut self.buf);
                    let out = rewrite(&buf).unwrap_or(buf);
                    return Poll::Ready(Some(Ok(Frame::data(Bytes::from(out)))));
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANSWER: &str = "<DescribeSubnetsResponse><subnetSet>\
        <item><subnetId>subnet-1</subnetId><availableIpAddressCount>18446744073709551611</availableIpAddressCount><ipv6Native>true</ipv6Native></item>\
        <item><subnetId>subnet-2</subnetId><availableIpAddressCount>251</availableIpAddressCount></item>\
        <item><subnetId>subnet-3</subnetId><availableIpAddressCount>-5</availableIpAddressCount><x>18446744073709551611</x></item>\
        <item><availableIpAddressCount>-99999999999</availableIpAddressCount></item>\
        </subnetSet></DescribeSubnetsResponse>";

    #[test]
    fn only_out_of_range_counts_become_zero() {
        let out = String::from_utf8(rewrite(ANSWER.as_bytes()).unwrap()).unwrap();
        assert_eq!(
            out,
            ANSWER
                .replacen(">18446744073709551611<", ">0<", 1)
                .replace(">-99999999999<", ">0<")
        );
        // the same value in another element is left alone
        assert!(out.contains("<x>18446744073709551611</x>"));
        assert!(out.contains("<availableIpAddressCount>251</availableIpAddressCount>"));
        assert!(out.contains("<availableIpAddressCount>-5</availableIpAddressCount>"));
    }

    #[test]
    fn answers_without_such_a_count_are_not_copied() {
        assert!(
            rewrite(b"<availableIpAddressCount>2147483647</availableIpAddressCount>").is_none()
        );
        assert!(rewrite(b"<availableIpAddressCount>abc</availableIpAddressCount>").is_none());
        assert!(rewrite(b"<availableIpAddressCount>99999999999").is_none());
        assert!(rewrite(b"").is_none());
        assert_eq!(
            rewrite(b"<availableIpAddressCount> 2147483648 </availableIpAddressCount>").unwrap(),
            b"<availableIpAddressCount>0</availableIpAddressCount>"
        );
    }

    #[tokio::test]
    async fn a_streamed_answer_is_rewritten_whole() {
        use http_body_util::BodyExt;
        /// Yields its chunks one frame at a time, as a socket would.
        struct Chunks(std::collections::VecDeque<Bytes>);
        impl Body for Chunks {
            type Data = Bytes;
            type Error = std::convert::Infallible;
            fn poll_frame(
                mut self: Pin<&mut Self>,
                _cx: &mut Context<'_>,
            ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
                Poll::Ready(self.0.pop_front().map(|b| Ok(Frame::data(b))))
            }
        }
        let chunks = ANSWER
            .as_bytes()
            .chunks(7)
            .map(Bytes::copy_from_slice)
            .collect();
        let inner = SdkBody::from_body_1_x(Chunks(chunks));
        let body = Buffered {
            inner: Box::pin(inner),
            buf: Vec::new(),
            done: false,
        };
        let got = body.collect().await.unwrap().to_bytes();
        assert_eq!(got, Bytes::from(rewrite(ANSWER.as_bytes()).unwrap()));
    }
}

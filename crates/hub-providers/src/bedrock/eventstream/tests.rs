//! The decoder against botocore's frame (`vectors/eventstream.txt`), split at every byte,
//! corrupted, cut short and stalled.

use std::convert::Infallible;

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::Header;
use futures_util::StreamExt;
use http_body_util::StreamBody;
use hyper::body::Frame as BodyFrame;

use super::*;

const VECTOR: &str = include_str!("../vectors/eventstream.txt");

/// The frame botocore decoded: `messageStart` with payload `{"role":"assistant"}`.
fn vector_frame() -> Vec<u8> {
    let hex = VECTOR
        .lines()
        .find(|line| !line.starts_with('#') && line.len() > 100)
        .expect("the vector holds the frame in hex");
    (0..hex.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&hex[at..at + 2], 16).unwrap())
        .collect()
}

fn event_frame(event_type: &str, payload: &str) -> Vec<u8> {
    let message = Message::new_from_parts(
        vec![
            Header::new(
                ":event-type",
                HeaderValue::String(event_type.to_owned().into()),
            ),
            Header::new(
                ":content-type",
                HeaderValue::String("application/json".into()),
            ),
            Header::new(":message-type", HeaderValue::String("event".into())),
        ],
        Bytes::from(payload.to_owned()),
    );
    let mut bytes = Vec::new();
    write_message_to(&message, &mut bytes).unwrap();
    bytes
}

fn body(pieces: Vec<Vec<u8>>) -> impl Body<Data = Bytes, Error = Infallible> {
    let frames = pieces
        .into_iter()
        .map(|piece| Ok::<_, Infallible>(BodyFrame::data(Bytes::from(piece))));
    StreamBody::new(futures_util::stream::iter(frames))
}

fn limits() -> StreamLimits {
    StreamLimits {
        idle_timeout: Duration::from_secs(5),
        max_duration: Duration::from_secs(60),
        max_event_bytes: 64 * 1024,
        max_stream_bytes: 1 << 20,
    }
}

async fn read_all(pieces: Vec<Vec<u8>>) -> Vec<Result<Frame, String>> {
    FrameStream::new(body(pieces), limits())
        .map(|item| {
            item.map_err(|error| error.to_string())
                .and_then(|message| Frame::read(message).map_err(|error| error.to_string()))
        })
        .collect()
        .await
}

fn message_start() -> Frame {
    Frame::Event {
        event_type: "messageStart".to_owned(),
        payload: Bytes::from_static(br#"{"role":"assistant"}"#),
    }
}

#[test]
fn the_vector_frame_has_the_lengths_botocore_read() {
    let frame = vector_frame();
    assert_eq!(frame.len(), 118);
    assert!(VECTOR.contains("total 118 headers_len 82"));
    assert_eq!(&frame[4..8], &82u32.to_be_bytes());
}

#[tokio::test]
async fn the_vector_frame_decodes_as_botocore_decoded_it() {
    assert_eq!(
        read_all(vec![vector_frame()]).await,
        vec![Ok(message_start())]
    );
}

#[tokio::test]
async fn a_frame_split_at_any_byte_decodes() {
    let frame = vector_frame();
    for split in 1..frame.len() {
        let pieces = vec![frame[..split].to_vec(), frame[split..].to_vec()];
        assert_eq!(
            read_all(pieces).await,
            vec![Ok(message_start())],
            "split at {split}"
        );
    }
}

#[tokio::test]
async fn frames_arriving_one_byte_at_a_time_decode() {
    let mut bytes = vector_frame();
    bytes.extend(event_frame(
        "contentBlockDelta",
        r#"{"contentBlockIndex":0,"delta":{"text":"Hi"}}"#,
    ));
    bytes.extend(vector_frame());
    let pieces = bytes.iter().map(|byte| vec![*byte]).collect();

    let frames = read_all(pieces).await;

    assert_eq!(frames.len(), 3);
    assert_eq!(frames[0], Ok(message_start()));
    let second = frames[1].as_ref().unwrap();
    assert!(matches!(second, Frame::Event { event_type, .. } if event_type == "contentBlockDelta"));
    assert_eq!(frames[2], Ok(message_start()));
}

#[tokio::test]
async fn a_corrupted_prelude_crc_is_refused_at_once() {
    let mut frame = vector_frame();
    frame[9] ^= 0x01;
    // Only the prelude has arrived: the check must not wait for the rest of the frame.
    let frames = read_all(vec![frame[..12].to_vec()]).await;
    assert_eq!(frames.len(), 1);
    assert!(
        frames[0].as_ref().unwrap_err().contains("prelude checksum"),
        "{frames:?}"
    );
}

#[tokio::test]
async fn a_length_beyond_the_format_is_refused_at_once() {
    // A prelude whose own checksum is right but which announces a 2 GiB frame.
    let mut prelude = Vec::new();
    prelude.extend_from_slice(&0x8000_0000u32.to_be_bytes());
    prelude.extend_from_slice(&82u32.to_be_bytes());
    prelude.extend_from_slice(&crc32fast::hash(&prelude).to_be_bytes());

    let frames = read_all(vec![prelude]).await;
    assert_eq!(frames.len(), 1);
    assert!(
        frames[0].as_ref().unwrap_err().contains("out of bounds"),
        "{frames:?}"
    );
}

#[tokio::test]
async fn a_corrupted_payload_fails_the_message_crc() {
    for at in [20, 110, 117] {
        let mut frame = vector_frame();
        frame[at] ^= 0x20;
        let frames = read_all(vec![frame]).await;
        assert_eq!(frames.len(), 1, "byte {at}");
        let error = frames[0].as_ref().unwrap_err();
        assert!(
            error.contains("invalid eventstream frame"),
            "byte {at}: {error}"
        );
    }
}

#[tokio::test]
async fn a_body_that_ends_mid_frame_is_truncated() {
    let mut bytes = vector_frame();
    bytes.extend_from_slice(&vector_frame()[..50]);
    let frames = read_all(vec![bytes]).await;
    assert_eq!(frames[0], Ok(message_start()));
    assert_eq!(frames[1], Err(FrameError::Truncated.to_string()));
    assert_eq!(frames.len(), 2);
}

#[tokio::test]
async fn exception_frames_are_told_apart_from_events() {
    let message = Message::new_from_parts(
        vec![
            Header::new(
                ":exception-type",
                HeaderValue::String("throttlingException".into()),
            ),
            Header::new(":message-type", HeaderValue::String("exception".into())),
        ],
        Bytes::from_static(br#"{"message":"slow down"}"#),
    );
    let mut bytes = Vec::new();
    write_message_to(&message, &mut bytes).unwrap();

    let frames = read_all(vec![bytes]).await;
    assert_eq!(
        frames,
        vec![Ok(Frame::Exception {
            exception_type: "throttlingException".to_owned(),
            payload: Bytes::from_static(br#"{"message":"slow down"}"#),
        })]
    );
}

#[tokio::test]
async fn a_silent_body_times_out() {
    let silent = StreamBody::new(futures_util::stream::pending::<
        Result<BodyFrame<Bytes>, Infallible>,
    >());
    let limits = StreamLimits {
        idle_timeout: Duration::from_millis(20),
        ..limits()
    };
    let mut frames = Box::pin(FrameStream::new(silent, limits));
    assert!(matches!(
        frames.next().await,
        Some(Err(FrameError::Idle(_)))
    ));
    assert!(frames.next().await.is_none());
}

#[tokio::test]
async fn a_frame_announcing_more_than_the_event_limit_fails_at_its_prelude() {
    let big = event_frame("contentBlockDelta", &"x".repeat(70 * 1024));
    let results = read_all(vec![big[..PRELUDE_BYTES].to_vec()]).await;
    assert_eq!(
        results,
        vec![Err("a stream event is larger than 65536 bytes".to_owned())]
    );
}

#[tokio::test]
async fn endless_frames_fail_at_the_stream_limit() {
    let one = event_frame("contentBlockDelta", "{}");
    let endless = futures_util::stream::repeat_with(move || {
        Ok::<_, Infallible>(BodyFrame::data(Bytes::from(one.clone())))
    });
    let results: Vec<_> = FrameStream::new(StreamBody::new(endless), limits())
        .take(1 << 20)
        .collect()
        .await;

    let last = results.last().unwrap();
    assert!(
        matches!(last, Err(FrameError::TooLarge(Exceeded::Stream(_)))),
        "{last:?}"
    );
    assert!(results[..results.len() - 1].iter().all(Result::is_ok));
}

#[tokio::test]
async fn steady_frames_end_at_the_time_limit() {
    let one = event_frame("contentBlockDelta", "{}");
    let trickle = futures_util::stream::unfold(one, |one| async move {
        tokio::time::sleep(Duration::from_millis(5)).await;
        let piece = Ok::<_, Infallible>(BodyFrame::data(Bytes::from(one.clone())));
        Some((piece, one))
    });
    let limits = StreamLimits {
        max_duration: Duration::from_millis(100),
        ..limits()
    };
    let results: Vec<_> = tokio::time::timeout(
        Duration::from_secs(10),
        FrameStream::new(StreamBody::new(trickle), limits).collect::<Vec<_>>(),
    )
    .await
    .expect("the stream ends by itself");
    assert!(matches!(results.last(), Some(Err(FrameError::TooLong(_)))));
}

/// The decoder faces the network, so it is fuzzed: any bytes in any pieces end the stream
/// without a panic, and valid frames in any pieces decode to exactly what was sent.
mod fuzz {
    use proptest::prelude::*;

    use super::*;

    fn decode_pieces(bytes: &[u8], cuts: &[usize]) -> Vec<Result<Frame, String>> {
        let mut cuts: Vec<usize> = cuts.iter().map(|cut| cut % (bytes.len() + 1)).collect();
        cuts.sort_unstable();
        let mut pieces = Vec::new();
        let mut start = 0;
        for cut in cuts.into_iter().chain([bytes.len()]) {
            pieces.push(bytes[start..cut].to_vec());
            start = cut;
        }

        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(read_all(pieces))
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..512),
            cuts in proptest::collection::vec(any::<usize>(), 0..8),
        ) {
            let frames = decode_pieces(&bytes, &cuts);
            // Once an error is reported, nothing follows it.
            let first_error = frames.iter().position(Result::is_err);
            prop_assert!(first_error.is_none_or(|at| at == frames.len() - 1));
        }

        #[test]
        fn a_frame_with_any_byte_changed_never_panics(
            payload in "[ -~]{0,64}",
            at in any::<usize>(),
            flip in 1..=255u8,
            cuts in proptest::collection::vec(any::<usize>(), 0..4),
        ) {
            let mut bytes = event_frame("contentBlockDelta", &payload);
            let at = at % bytes.len();
            bytes[at] ^= flip;

            let frames = decode_pieces(&bytes, &cuts);

            // A changed byte is caught by a checksum or a length check, never decoded.
            prop_assert!(frames.iter().all(Result::is_err), "{frames:?}");
        }

        #[test]
        fn valid_frames_survive_any_split(
            payloads in proptest::collection::vec("[ -~]{0,64}", 1..5),
            cuts in proptest::collection::vec(any::<usize>(), 0..16),
        ) {
            let mut bytes = Vec::new();
            for payload in &payloads {
                bytes.extend(event_frame("contentBlockDelta", payload));
            }

            let frames = decode_pieces(&bytes, &cuts);

            let expected: Vec<Result<Frame, String>> = payloads
                .iter()
                .map(|payload| Ok(Frame::Event {
                    event_type: "contentBlockDelta".to_owned(),
                    payload: Bytes::from(payload.clone()),
                }))
                .collect();
            prop_assert_eq!(frames, expected);
        }
    }
}

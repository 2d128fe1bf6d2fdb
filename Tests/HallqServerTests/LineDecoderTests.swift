import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

@testable import HallqSocket

/// The line splitter under NIO's decoder verifier: every input is also fed one byte at a time,
/// in pairs, and so on, and must give the same frames each way.
@Suite("line decoder")
struct LineDecoderTests {
    func line(_ s: String) -> Frame { .line(ByteBuffer(string: s)) }

    @Test("lines, CRLF, blank lines, an over-long line and its tail, however the bytes are split")
    func verifier() throws {
        try ByteToMessageDecoderVerifier.verifyDecoder(
            stringInputOutputPairs: [
                ("{\"op\":\"status\"}\n", [line("{\"op\":\"status\"}")]),
                ("a\r\nb\n", [line("a"), line("b")]),
                ("\n", [line("")]),
                ("0123456789abcdefXYZ\nok\n", [.tooLong, line("ok")]),
                ("0123456789abcdef0123456789abcdef0123\n", [.tooLong]),
            ],
            decoderFactory: { LineDecoder(maxLength: 16) })
    }

    @Test("a last line without a newline is a request when the input ends; the tail of an over-long one is not")
    func lastLine() throws {
        for (input, expected) in [("x\nlast", [line("x"), line("last")]), ("0123456789abcdefXYZ", [Frame.tooLong])] {
            let channel = EmbeddedChannel(handler: ByteToMessageHandler(LineDecoder(maxLength: 16)))
            try channel.writeInbound(ByteBuffer(string: input))
            try channel.close(mode: .input).wait()
            var got: [Frame] = []
            while let f: Frame = try channel.readInbound() { got.append(f) }
            #expect(got == expected, "\(input)")
            _ = try? channel.finish()
        }
    }
}

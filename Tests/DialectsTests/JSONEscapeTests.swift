import Testing
@testable import Dialects

@Suite("JSONEscape")
struct JSONEscapeTests {
    /// Decodes the escape at the start of `text` (after its backslash); returns the UTF-8 text and where it stopped.
    private func decode(_ text: String, _ policy: JSONEscape.LoneSurrogates) throws(JSONEscape.Failure) -> (String, Int) {
        let bytes = Array(text.utf8)
        var index = 1
        var out: [UInt8] = []
        try JSONEscape.decode(bytes, at: &index, into: &out, loneSurrogates: policy)
        return (String(decoding: out, as: UTF8.self), index)
    }

    @Test(arguments: [(#"\n"#, "\n"), (#"\t"#, "\t"), (#"\""#, "\""), (#"\\"#, "\\"), (#"\/"#, "/"), (#"\b"#, "\u{8}"), (#"\f"#, "\u{C}"),
        (#"\u00e9"#, "é"), (#"\u6F22"#, "漢"), (#"\u0000"#, "\u{0}"), (#"\uD83E\uDD99"#, "🦙")])
    func escapesDecode(escape: String, expected: String) throws {
        for policy in [JSONEscape.LoneSurrogates.reject, .replace] {
            let (text, index) = try decode(escape, policy)
            #expect(text == expected)
            #expect(index == escape.utf8.count, "stops right after the escape")
        }
    }

    @Test func loneSurrogatesAreRefusedOrReplaced() throws {
        for escape in [#"\uD83E"#, #"\uD83Ex"#, #"\uDD99"#, #"\uD83E\u0041"#] {
            #expect(throws: JSONEscape.Failure.unpairedSurrogate) { try decode(escape, .reject) }
            let (text, index) = try decode(escape, .replace)
            #expect(text == "\u{FFFD}")
            #expect(index == 6, "a following escape is read on its own, as Go does: \(escape)")
        }
    }

    @Test func malformedEscapesSayWhatIsWrongAndWhere() {
        for (escape, failure, at) in [(#"\x"#, JSONEscape.Failure.invalidEscape, 1), (#"\u12G4"#, .invalidHex, 4), (#"\u12"#, .truncated, 4), (#"\"#, .truncated, 1)] {
            let bytes = Array(escape.utf8)
            var index = 1
            var out: [UInt8] = []
            #expect(throws: failure) { try JSONEscape.decode(bytes, at: &index, into: &out, loneSurrogates: .reject) }
            #expect(index == at, "\(escape)")
        }
    }

    /// Every BMP scalar and a few astral ones, escaped as \uXXXX (pairs for astral), decode to themselves.
    @Test func everyScalarRoundTrips() throws {
        for value in Array(stride(from: 0, to: 0xD800, by: 7)) + Array(stride(from: 0xE000, to: 0x11_0000, by: 997)) {
            let scalar = Unicode.Scalar(UInt32(value))!
            let escape = String(scalar).utf16.map { "\\u" + String($0, radix: 16).leftPadded(to: 4) }.joined()
            var index = 1
            var out: [UInt8] = []
            let bytes = Array(escape.utf8)
            try JSONEscape.decode(bytes, at: &index, into: &out, loneSurrogates: .reject)
            #expect(out == Array(String(scalar).utf8))
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

import Testing
@testable import Dialects

@Suite("JSONWriter")
struct JSONWriterTests {
    private func written(_ write: (inout JSONWriter) -> Void) -> String {
        var writer = JSONWriter()
        write(&writer)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    @Test(arguments: [Int64(0), 7, -7, 10, 1_234_567_890, .max, .min])
    func integersAreTheirDecimalText(value: Int64) {
        #expect(written { $0.int(value) } == String(value))
    }

    @Test func stringsEscapeQuotesBackslashesAndControlCharacters() {
        #expect(written { $0.string("plain é 漢 🦙") } == "\"plain é 漢 🦙\"")
        #expect(written { $0.string("a\"b\\c\nd\re\tf\u{0}g\u{1F}h") } == #""a\"b\\c\nd\re\tf\u0000g\u001fh""#)
        #expect(written { $0.string("") } == "\"\"")
        #expect(written { $0.string("\"") } == #""\"""#)
    }

    /// Whatever the writer writes, the parser reads back as the same string.
    @Test func writtenStringsParseBack() throws {
        var all = ""
        for scalar in (0..<0x80).compactMap(Unicode.Scalar.init) { all.unicodeScalars.append(scalar) }
        all += "é 漢 🦙"
        let text = written { $0.string(all) }
        #expect(try JSONParser.parse(text) == .string(all))
    }
}

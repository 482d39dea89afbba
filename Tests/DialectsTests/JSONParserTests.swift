import Dialects
import Testing

@Suite struct JSONParserTests {
    @Test func keepsMemberOrderAndNumberText() throws {
        let text = #"{"z":1,"a":{"y":1e-05,"b":[true,false,null]},"m":-0.50}"#
        let value = try JSONParser.parse(text)
        #expect(value.members?.map(\.key) == ["z", "a", "m"])
        #expect(value["a"]?["y"] == .number("1e-05"))
        #expect(value.text == text)
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let value = try JSONParser.parse(#""\u003c\n\t\"\\\/ \ud83d\ude00 é""#)
        #expect(value.string == "<\n\t\"\\/ 😀 é")
        // Writing escapes only what must be escaped; the text round-trips through the parser.
        #expect(try JSONParser.parse(value.bytes) == value)
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "{'a':1}", "01", "1.", "-", "1e", "tru", "nul", "\"abc", "\"\\x\"",
        "\"\\ud83d\"", "\"\\ude00\"", "{} {}", "[1 2]", "{\"a\" 1}", "\"tab\there\"", "NaN",
    ])
    func refusesInvalidText(_ text: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(text) }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
        // A lone continuation byte, and bad bytes after an escape (the string is then copied piecewise).
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse([0x22, 0x61, 0x80, 0x22]) }
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse([0x22, 0x5C, 0x6E, 0xC3, 0x28, 0x22]) }
    }

    @Test func readsStringsWithAndWithoutEscapesAlike() throws {
        // ASCII, UTF-8 without escapes, an escape after a long plain run, an escape first, an empty string.
        let plain = String(repeating: "key_", count: 10)
        let value = try JSONParser.parse(Array(#"["\#(plain)","naïve ☕","\#(plain)\u00e9\n","\tx",""]"#.utf8))
        #expect(value.array?.map(\.string) == [plain, "naïve ☕", plain + "é\n", "\tx", ""])
        #expect(try JSONParser.parse(#"{"\#(plain)":"v"}"#).members?.first?.key == plain)
    }

    @Test func refusesExcessiveNesting() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(deep) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: Never.self) { try JSONParser.parse(fine) }
    }

    @Test func accessors() throws {
        let value = try JSONParser.parse(#"{"n":3,"f":2.5,"e":3e2,"s":"x","b":true,"dup":1,"dup":2}"#)
        #expect(value["n"]?.int == 3)
        #expect(value["f"]?.int == nil)
        #expect(value["f"]?.double == 2.5)
        #expect(value["e"]?.int == 300)
        #expect(value["s"]?.string == "x")
        #expect(value["b"]?.bool == true)
        #expect(value["dup"]?.int == 1)
        #expect(value["missing"] == nil)
        #expect(value.typeName == "an object")
    }
}

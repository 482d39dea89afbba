import Testing
@testable import Dialects

@Suite("LineSplitter")
struct LineSplitterTests {
    /// Feeds `chunks` one after the other and returns every completed line plus what `finish()` returns.
    private func split(_ chunks: [[UInt8]]) -> (lines: [[UInt8]], rest: [UInt8]?) {
        var splitter = LineSplitter()
        var lines: [[UInt8]] = []
        for chunk in chunks { lines += splitter.append(chunk) }
        return (lines, splitter.finish())
    }

    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func splitsOnNewlineAndDropsIt() {
        let (lines, rest) = split([bytes("{\"a\":1}\n{\"b\":2}\n")])
        #expect(lines == [bytes("{\"a\":1}"), bytes("{\"b\":2}")])
        #expect(rest == nil)
    }

    @Test func incompleteLineIsHeldUntilItsNewlineArrives() {
        var splitter = LineSplitter()
        #expect(splitter.append(bytes("hel")).isEmpty)
        #expect(splitter.append(bytes("lo")).isEmpty)
        #expect(splitter.append(bytes(" world\nnext")) == [bytes("hello world")])
        #expect(splitter.append(bytes("\n")) == [bytes("next")])
        #expect(splitter.finish() == nil)
    }

    @Test func severalLinesInOneChunkWithATrailingPartialLine() {
        var splitter = LineSplitter()
        #expect(splitter.append(bytes("one\ntwo\nthree\nfo")) == [bytes("one"), bytes("two"), bytes("three")])
        #expect(splitter.append(bytes("ur\n")) == [bytes("four")])
    }

    @Test func emptyLinesAreReturnedAsEmpty() {
        let (lines, rest) = split([bytes("\n\na\n\n")])
        #expect(lines == [[], [], bytes("a"), []])
        #expect(rest == nil)
    }

    @Test func emptyChunkCompletesNothing() {
        var splitter = LineSplitter()
        #expect(splitter.append([UInt8]()).isEmpty)
        #expect(splitter.append(bytes("x")).isEmpty)
        #expect(splitter.append([UInt8]()).isEmpty)
        #expect(splitter.finish() == bytes("x"))
    }

    @Test func finishReturnsTheUnterminatedLastLineOnce() {
        var splitter = LineSplitter()
        #expect(splitter.append(bytes("a\n{\"done\":true}")) == [bytes("a")])
        #expect(splitter.finish() == bytes("{\"done\":true}"))
        #expect(splitter.finish() == nil, "finish() must clear what it returned")
    }

    @Test func finishWithNothingPendingIsNil() {
        var splitter = LineSplitter()
        #expect(splitter.finish() == nil)
        _ = splitter.append(bytes("abc\n"))
        #expect(splitter.finish() == nil)
    }

    /// Bytes that some line readers treat as line breaks; here they are ordinary line content.
    @Test(arguments: [
        ("NEL U+0085", [0x61, 0xC2, 0x85, 0x62] as [UInt8]),
        ("LS U+2028", Array("a\u{2028}b".utf8)),
        ("PS U+2029", Array("a\u{2029}b".utf8)),
        ("CR", Array("a\rb".utf8)),
        ("VT and FF", [0x61, 0x0B, 0x0C, 0x62] as [UInt8]),
    ])
    func otherLineBreakCharactersDoNotSplit(name: String, line: [UInt8]) {
        let (lines, rest) = split([line + [0x0A]])
        #expect(lines == [line], "\(name) must not end a line")
        #expect(rest == nil)
    }

    @Test func crlfKeepsTheCarriageReturnInTheLine() {
        let (lines, _) = split([bytes("a\r\nb\r\n")])
        #expect(lines == [bytes("a\r"), bytes("b\r")])
    }

    static let multiByteStreams = [
        "{\"content\":\"café\"}\n{\"content\":\"naïve é\"}\n",
        "{\"content\":\"😀👍🏽\"}\n",
        "{\"content\":\"你好，世界\"}\n{\"content\":\"日本語\"}\n",
        "{\"content\":\"a\u{0085}b\u{2028}c\"}\n\n{\"x\":\"😀\"}\n",
    ]

    /// Every way of cutting the stream into two chunks gives back the same lines, byte for byte.
    @Test(arguments: multiByteStreams)
    func lineCutAtEveryByteOffsetIsReassembled(stream: String) throws {
        let all = bytes(stream)
        let expected = split([all]).lines
        #expect(expected.count == stream.filter { $0 == "\n" }.count)
        for cut in 0...all.count {
            let result = split([Array(all[..<cut]), Array(all[cut...])])
            #expect(result.lines == expected, "cut at byte \(cut)")
            #expect(result.rest == nil)
        }
    }

    /// Every way of cutting the stream into three chunks (so a character may be cut twice) also works.
    @Test(arguments: multiByteStreams)
    func lineCutAtEveryPairOfOffsetsIsReassembled(stream: String) {
        let all = bytes(stream)
        let expected = split([all]).lines
        for first in 0...all.count {
            for second in first...all.count {
                let result = split([Array(all[..<first]), Array(all[first..<second]), Array(all[second...])])
                #expect(result.lines == expected, "cuts at \(first) and \(second)")
            }
        }
    }

    @Test(arguments: multiByteStreams)
    func oneByteChunksAreReassembledAndDecodeToTheOriginalText(stream: String) throws {
        let result = split(bytes(stream).map { [$0] })
        let decoded = try result.lines.map { try #require(String(validating: $0, as: UTF8.self)) }
        let expected = stream.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        #expect(decoded == expected)
    }

    @Test func unterminatedMultiByteTailIsReturnedByFinish() {
        let all = bytes("x\n😀")
        var splitter = LineSplitter()
        var lines: [[UInt8]] = []
        for byte in all { lines += splitter.append([byte]) }
        #expect(lines == [bytes("x")])
        #expect(splitter.finish() == bytes("😀"))
    }

    @Test func acceptsSlicesWithNonZeroStartIndex() {
        let buffer = bytes("junkab\ncd\nef")
        let slice = buffer[4...]
        #expect(slice.startIndex == 4)
        var splitter = LineSplitter()
        #expect(splitter.append(slice) == [bytes("ab"), bytes("cd")])
        #expect(splitter.finish() == bytes("ef"))
    }
}

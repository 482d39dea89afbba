import Testing
@testable import Gateway

@Suite("constantTimeEqual")
struct ConstantTimeEqualTests {
    @Test(arguments: ["", "a", "sk-0123456789abcdef", "ключ 😀"])
    func equalStringsAreEqual(text: String) {
        #expect(constantTimeEqual(Array(text.utf8), Array(text.utf8)))
    }

    @Test(arguments: [
        ("secret", "secreT"), ("secret", "Secret"), ("secret", "secrex"), ("secret", "secre"), ("secret", "secret "),
        ("", "a"), ("a", ""), ("abc", "abd"),
    ])
    func differentStringsAreNotEqual(a: String, b: String) {
        #expect(!constantTimeEqual(Array(a.utf8), Array(b.utf8)))
        #expect(!constantTimeEqual(Array(b.utf8), Array(a.utf8)))
    }

    @Test func zeroPaddingDoesNotMakeDifferentLengthsEqual() {
        #expect(!constantTimeEqual([], [0]))
        #expect(!constantTimeEqual([0x61], [0x61, 0]))
        #expect(!constantTimeEqual([0, 0], [0]))
    }

    @Test func everySingleBitFlipIsDetected() {
        let key = Array("tollgate-master-key".utf8)
        for index in key.indices {
            for bit in 0..<8 {
                var other = key
                other[index] ^= UInt8(1 << bit)
                #expect(!constantTimeEqual(key, other), "byte \(index) bit \(bit)")
            }
        }
    }
}

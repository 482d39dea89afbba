import Crypto
import Testing
@testable import Gateway

@Suite("Hex")
struct HexTests {
    @Test func bytesAreTwoLowerCaseDigitsEach() {
        #expect(Hex.string([0x00, 0x0f, 0x10, 0xab, 0xff]) == "000f10abff")
        #expect(Hex.string([UInt8]()) == "")
    }

    @Test func integersArePaddedToTheirWidth() {
        #expect(Hex.string(0, digits: 8) == "00000000")
        #expect(Hex.string(0xab, digits: 4) == "00ab")
        #expect(Hex.string(.max, digits: 16) == "ffffffffffffffff")
        #expect(Hex.string(0x1234_5678_9abc_def0, digits: 16) == "123456789abcdef0")
    }

    /// The stored key hash is the standard SHA-256 hex digest (NIST's "abc" test vector).
    @Test func aKeyHashIsTheSHA256HexDigest() {
        #expect(KeySecret.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func requestIDsAreReqAnd24HexDigits() {
        let id = RequestID.make()
        #expect(id.hasPrefix("req_"))
        #expect(id.utf8.count == 28)
        #expect(id.dropFirst(4).allSatisfy { "0123456789abcdef".contains($0) })
        #expect(RequestID.make() != id)
    }
}

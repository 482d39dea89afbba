import Testing
@testable import Gateway

@Suite("LuaScript")
struct LuaScriptTests {
    /// The name is the SHA-1 of the source (FIPS 180's "abc" vector), as Redis's SCRIPT LOAD computes it.
    @Test func aScriptIsNamedByTheSHA1OfItsSource() {
        #expect(LuaScript("abc").sha1 == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(LimitScripts.admit.sha1 != LimitScripts.settle.sha1)
        #expect(LimitScripts.admit.sha1.utf8.count == 40)
    }
}

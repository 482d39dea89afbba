import Dialects
import Foundation
import Testing
@testable import Gateway

@Suite("Dashboard forms and tokens")
struct UIFormTests {
    @Test func formsDecodeLikeBrowsersEncodeThem() throws {
        let form = try UIForm(encoded: "key_alias=team+a%26b&models=llama3.2%2C+qwen3&csrf=abc&empty=")
        #expect(form.text("key_alias") == "team a&b")
        #expect(form.text("empty") == nil, "a blank field counts as absent")
        let fields = try form.keyRequest(clearing: false)
        #expect(fields.keyAlias == .value("team a&b"))
        #expect(fields.limits.models == .value(["llama3.2", "qwen3"]))
        #expect(fields.limits.rpmLimit.isAbsent, "a blank field is left out when creating")
    }

    @Test func brokenEncodingAndNULAreRefused() {
        #expect(throws: GatewayError.self) { try UIForm(encoded: "a=%zz") }
        #expect(throws: GatewayError.self) { try UIForm(encoded: "a=x%00y") }
    }

    @Test func numbersGoInAsNumbersAndTextIsRefusedByTheAdminRules() throws {
        let good = try UIForm(encoded: "rpm_limit=60&max_budget=2.5").keyRequest(clearing: false)
        #expect(good.limits.rpmLimit == .value(60))
        #expect(good.limits.maxBudget == .value(2.5))
        let bad = #expect(throws: GatewayError.self) { try UIForm(encoded: "rpm_limit=lots").keyRequest(clearing: false) }
        #expect(bad?.error.param == "rpm_limit")
        let negative = #expect(throws: GatewayError.self) { try UIForm(encoded: "rpm_limit=-1").keyRequest(clearing: false) }
        #expect(negative?.error.message == "'rpm_limit' must be a non-negative integer no larger than 2147483647.", "the REST API's message")
        let metadata = #expect(throws: GatewayError.self) { try UIForm(encoded: "metadata=not+json").keyRequest(clearing: false) }
        #expect(metadata?.error.param == "metadata")
    }

    @Test func editingWithABlankFieldClearsIt() throws {
        let fields = try UIForm(encoded: "key_alias=a&rpm_limit=&expires=").keyRequest(clearing: true)
        #expect(fields.limits.rpmLimit == .null)
        #expect(fields.userID == .null)
        #expect(fields.expires == .null, "no expiry any more")
        #expect(fields.limits.metadata == .value([:]))
        let dated = try UIForm(encoded: "expires=2026-05-01T12%3A30").keyRequest(clearing: true)
        #expect(dated.expires == .value("2026-05-01T12:30:00Z"), "the picker's value is read as UTC")
    }

    @Test func tokensCompareExactly() {
        let token = UISessionStore.randomToken()
        #expect(token.count == 43 && UISessionStore.isWellFormed(token))
        #expect(UISecurity.tokenMatches(token, token))
        #expect(!UISecurity.tokenMatches(nil, token))
        #expect(!UISecurity.tokenMatches("", token))
        #expect(!UISecurity.tokenMatches(String(token.dropLast()) + (token.last == "A" ? "B" : "A"), token))
        #expect(!UISessionStore.isWellFormed("../../etc"))
        #expect(UISessionStore.key(token).hasPrefix("tollgate:ui:session:") && !UISessionStore.key(token).contains(token), "Redis holds the token's hash only")
    }
}

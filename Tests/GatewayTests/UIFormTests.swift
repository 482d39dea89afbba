import Foundation
import Testing
@testable import Gateway

@Suite("Dashboard forms and tokens")
struct UIFormTests {
    @Test func formsDecodeLikeBrowsersEncodeThem() throws {
        let form = try UIForm(encoded: "key_alias=team+a%26b&models=llama3.2%2C+qwen3&csrf=abc&empty=")
        #expect(form.text("key_alias") == "team a&b")
        #expect(form.text("empty") == nil, "a blank field counts as absent")
        let fields = try form.keyFields(clearing: false)
        #expect(fields.object["key_alias"] as? String == "team a&b")
        #expect(fields.object["models"] as? [String] == ["llama3.2", "qwen3"])
        #expect(!fields.isPresent("rpm_limit"), "a blank field is left out when creating")
    }

    @Test func brokenEncodingAndNULAreRefused() {
        #expect(throws: GatewayError.self) { try UIForm(encoded: "a=%zz") }
        #expect(throws: GatewayError.self) { try UIForm(encoded: "a=x%00y") }
    }

    @Test func numbersGoInAsNumbersAndTextIsRefusedByTheAdminRules() throws {
        let good = try UIForm(encoded: "rpm_limit=60&max_budget=2.5").keyFields(clearing: false)
        #expect(try good.count("rpm_limit") == 60)
        #expect(try good.dollars("max_budget") == 2_500_000)
        let bad = try UIForm(encoded: "rpm_limit=lots").keyFields(clearing: false)
        #expect(throws: GatewayError.self) { try bad.count("rpm_limit") }
        let metadata = try UIForm(encoded: "metadata=not+json").keyFields(clearing: false)
        #expect(throws: GatewayError.self) { try metadata.jsonObject("metadata") }
    }

    @Test func editingWithABlankFieldClearsIt() throws {
        let fields = try UIForm(encoded: "key_alias=a&rpm_limit=&expires=").keyFields(clearing: true)
        #expect(fields.isNull("rpm_limit"))
        #expect(fields.isNull("user_id"))
        #expect(fields.isNull("expires"), "no expiry any more")
        #expect((fields.object["metadata"] as? [String: Any])?.isEmpty == true)
        let dated = try UIForm(encoded: "expires=2026-05-01T12%3A30").keyFields(clearing: true)
        #expect(dated.object["expires"] as? String == "2026-05-01T12:30:00Z", "the picker's value is read as UTC")
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

import HTTPTypes
import Testing
@testable import Gateway

@Suite("Bearer credentials")
struct BearerCredentialTests {
    @Test(arguments: [
        ("Bearer sk-abc", "sk-abc"), ("bearer sk-abc", "sk-abc"), ("BEARER sk-abc", "sk-abc"), ("Bearer   sk-abc \t", "sk-abc"),
        ("Bearer sk-a b", "sk-a b"),
    ])
    func theCredentialAfterTheScheme(header: String, expected: String) {
        #expect(KeyAuthenticator.bearerCredential(header) == expected)
    }

    @Test(arguments: ["Basic dXNlcjpwYXNz", "Bearer ", "Bearer \t", "Bearersk-abc", "Bearer", "", "Bearex sk-abc", "Bear3r sk-abc", "XBearer sk-abc"])
    func otherSchemesAreNotBearer(header: String) {
        #expect(KeyAuthenticator.bearerCredential(header) == nil)
    }

    @Test func theAPIKeyHeaderIsTheFallback() {
        var headers = HTTPFields()
        headers[KeyAuthenticator.apiKeyHeader] = "sk-from-x-api-key"
        #expect(KeyAuthenticator.credential(in: headers) == "sk-from-x-api-key")
        headers[.authorization] = "Basic abc"
        #expect(KeyAuthenticator.credential(in: headers) == "sk-from-x-api-key", "another scheme does not hide x-api-key")
        headers[.authorization] = "Bearer sk-from-bearer"
        #expect(KeyAuthenticator.credential(in: headers) == "sk-from-bearer")
    }
}

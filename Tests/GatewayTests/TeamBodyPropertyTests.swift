import Dialects
import Foundation
import PropertyBased
import Testing
@testable import Gateway

/// Fuzzing of the typed bodies of `/team/*` and `/customer/*`: bodies built from the fields those routes
/// read, with the edge values of ``AdminBodyPropertyTests``, decoded into every request type and run through
/// the checks the routes make. Each either succeeds or throws a 400 ``GatewayError``; none traps.
@Suite("Team and customer bodies, property-based")
struct TeamBodyPropertyTests {
    static let names = [
        "team_id", "team_alias", "models", "rpm_limit", "tpm_limit", "max_parallel_requests", "max_budget", "budget_duration",
        "metadata", "blocked", "members_with_roles", "member", "team_ids", "user_id", "user_email", "alias", "user_ids",
    ]

    /// Members, lists of members and the other shapes `member` / `members_with_roles` may take.
    static let memberValue = Gen.element(of: [
        #"{"user_id":"a"}"#, #"{"user_email":"a@b"}"#, #"{"role":"admin","user_id":"a"}"#, #"{"role":"owner","user_id":"a"}"#,
        #"{"role":7}"#, #"[{"user_id":"a"},{"user_email":""}]"#, #"[{}]"#, #"[[]]"#, "[]",
    ]).map { $0 ?? "{}" }

    static let body = zip(Gen.element(of: names), Gen.oneOf(AdminBodyPropertyTests.value, memberValue)).array(of: 0...8)
        .map { members in "{" + members.map { "\"\($0.0 ?? "team_id")\":\($0.1)" }.joined(separator: ",") + "}" }

    @Test func typedBodiesNeverTrap() async {
        await propertyCheck(count: 3000, input: Self.body) { body in
            await Self.exercise(Data(body.utf8))
        }
    }

    @Test func arbitraryBytesNeverTrap() async {
        await propertyCheck(count: 1000, input: Gen.uint8(in: 0...255).array(of: 0...48)) { bytes in
            await Self.exercise(Data(bytes))
        }
    }

    /// Decodes `body` as every typed request (``AdminJSON``: check, decode, validate) and builds the columns
    /// the services would write.
    static func exercise(_ body: Data) async {
        await clientError {
            let team = try AdminJSON.decode(NewTeamRequest.self, from: body)
            _ = try TeamAdminService.checked(team.members ?? [], field: "members_with_roles")
            let columns = team.limits.columns
            #expect(columns.values.count == columns.columns.split(separator: ",").count)
        }
        await clientError { _ = try AdminJSON.decode(UpdateTeamRequest.self, from: body) }
        await clientError { _ = try AdminJSON.decode(TeamReference.self, from: body) }
        await clientError { _ = try AdminJSON.decode(DeleteTeamsRequest.self, from: body) }
        await clientError { _ = try TeamAdminService.checked(try AdminJSON.decode(TeamMemberAddRequest.self, from: body).members, field: "member") }
        await clientError { _ = try AdminJSON.decode(TeamMemberDeleteRequest.self, from: body) }
        await clientError { _ = try AdminJSON.decode(CustomerRequest.self, from: body).limits.columns }
        await clientError { _ = try AdminJSON.decode(CustomerIDsRequest.self, from: body) }
    }

    static func clientError(_ body: () async throws -> Void) async {
        do {
            try await body()
        } catch {
            #expect((error as? GatewayError)?.error.kind == .invalidRequest, "\(error)")
        }
    }

    /// A limit past what its column holds is a 400 naming it, not a PostgreSQL error (500) later.
    @Test(arguments: [#"{"rpm_limit":2147483648}"#, #"{"tpm_limit":1e30}"#, #"{"max_budget":1e9}"#, #"{"rpm_limit":1.5}"#, #"{"budget_duration":"99999999999mo"}"#])
    func outOfRangeLimitsAreBadRequests(body: String) {
        let error = #expect(throws: GatewayError.self) { _ = try AdminJSON.decode(UpdateTeamRequest.self, from: Data(("{\"team_id\":\"t\"," + body.dropFirst()).utf8)) }
        #expect(error?.error.param != nil, "\(body): \(String(describing: error))")
    }
}

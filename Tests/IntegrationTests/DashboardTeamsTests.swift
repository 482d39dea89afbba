import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import Postgres
import Testing

/// The dashboard's Teams page against a real gateway: list and detail escape every team field, and block /
/// unblock go through the same service as `/team/block` (audited, CSRF-checked, enforced on the team's keys).
@Suite("Dashboard teams")
struct DashboardTeamsTests {
    @Test func teamsListBudgetsMembersAndKeysEscaped() async throws {
        try await GatewayHarness.run { gateway in
            let created = try await gateway.post(
                "/team/new",
                json: #"{"team_id":"t1","team_alias":"<script>alert(1)</script>","max_budget":10,"metadata":{"<script>alert(1)</script>":"<script>alert(1)</script>"},"members_with_roles":[{"user_id":"<script>alert(1)</script>","role":"admin"}]}"#
            )
            #expect(created.status == .ok, "\(created.text)")
            let secret = try await gateway.newSecret(#"{"team_id":"t1","key_alias":"team-key"}"#)
            #expect(try await gateway.chat(key: secret).status == .ok)

            var ui = DashboardClient(gateway)
            try await ui.signIn()
            let overview = try await ui.get("/ui/overview")
            #expect(overview.text.contains("href=\"/ui/teams\""), "Teams is in the navigation")
            for path in ["/ui/teams", "/ui/teams/t1"] {
                let page = try await ui.get(path)
                #expect(page.status == .ok, "\(path): \(page.text.prefix(300))")
                #expect(!page.text.contains("<script>"), "\(path) has an unescaped <script>")
                #expect(page.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "\(path) shows the alias, escaped")
                #expect(page.text.contains("<meter"), "\(path) shows spend against the budget")
            }
            let detail = try await ui.get("/ui/teams/t1")
            #expect(detail.text.contains("team-key"), "the team's keys are listed")
            #expect(detail.text.contains("/ui/users/%3Cscript%3E"), "members link to their user page")
            #expect(try await ui.get("/ui/teams/nope").status == .notFound)
        }
    }

    @Test func blockingATeamFromThePageIsAuditedAndEnforced() async throws {
        try await GatewayHarness.run { gateway in
            #expect(try await gateway.post("/team/new", json: #"{"team_id":"t2"}"#).status == .ok)
            let secret = try await gateway.newSecret(#"{"team_id":"t2"}"#)
            #expect(try await gateway.chat(key: secret).status == .ok)

            var ui = DashboardClient(gateway)
            try await ui.signIn()
            _ = try await ui.get("/ui/teams/t2")
            let forged = try await ui.post("/ui/teams/t2/block", [], csrf: .some(nil))
            #expect(forged.status == .forbidden, "a block without the session's CSRF token is refused")
            #expect(try await gateway.chat(key: secret).status == .ok)

            let blocked = try await ui.post("/ui/teams/t2/block", [])
            #expect(blocked.status == .ok, "\(blocked.text.prefix(300))")
            #expect(blocked.text.contains("Blocked: every gateway now refuses the keys of this team."))
            #expect(try await gateway.chat(key: secret).status == .unauthorized, "the team's key is refused")
            let info = try await gateway.get("/team/info?team_id=t2")
            #expect((info.json?["team_info"] as? [String: Any])?["blocked"] as? Bool == true)
            let audit = try await gateway.get("/audit/log?target_id=t2&action=team.block")
            #expect(audit.json?["total_count"] as? Int == 1, "\(audit.text)")

            _ = try await ui.get("/ui/teams/t2")
            #expect(try await ui.post("/ui/teams/t2/unblock", []).status == .ok)
            #expect(try await gateway.chat(key: secret).status == .ok)
            #expect(try await ui.post("/ui/teams/t2/rename", []).status == .notFound)
        }
    }
}

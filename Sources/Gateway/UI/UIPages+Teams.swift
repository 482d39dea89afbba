import Dialects
import Foundation
import Hummingbird

/// Teams: each with its budget and spend as a meter, its members and its keys, and block/unblock — through
/// ``TeamAdminService``, as `/team/block` and `/team/unblock` are, so the change is audited and reaches every
/// gateway the same way.
extension UIPages {
    @Sendable func teamList(_ request: Request, page: DashboardRoutes.Page) async throws -> Response {
        let teams = try await routes.admin.teams.list(userID: nil)
        let keyCounts = try await routes.admin.teams.store.keyCounts()
        let cells = teams.map { team -> [HTML] in
            let row = team.row
            return [
                "<a href=\"\(UILayout.path("/ui/teams", row.teamID))\">\(row.teamAlias ?? row.teamID)</a>",
                Self.memberLinks(team.members), "\(UIFormat.integer(keyCounts[row.teamID] ?? 0))",
                Self.modelList(row.limits.models ?? []), Self.limits(row.limits), Self.spend(row.limits), Self.state(blocked: row.blocked),
            ]
        }
        let note: HTML = teams.count == TeamStore.listLimit ? "<p class=\"muted\">The newest \(UIFormat.integer(TeamStore.listLimit)) teams.</p>" : ""
        let body: HTML = """
            <section class="card">\(UILayout.table(["Team", "Members", "Keys", "Models", "Limits", "Spend / budget", "State"], cells, empty: "No teams yet: make one with /team/new."))\(note)</section>
            """
        return render("Teams", section: "/ui/teams", page, body)
    }

    @Sendable func teamDetail(_ request: Request, page: DashboardRoutes.Page) async throws -> Response {
        let info = try await routes.admin.teams.info(id: try Self.pathValue(page, "id"))
        return render("Team " + (info.teamInfo.row.teamAlias ?? info.teamID), section: "/ui/teams", page, teamBody(info, page: page))
    }

    /// `block` or `unblock` the team in the path.
    @Sendable func teamAction(_ request: Request, page: DashboardRoutes.Page) async throws -> Response {
        let id = try Self.pathValue(page, "id")
        let blocked: Bool
        switch try Self.pathValue(page, "action") {
        case "block": blocked = true
        case "unblock": blocked = false
        default: throw GatewayError(.notFound, "No such team action.")
        }
        _ = try await routes.admin.teams.setBlocked(blocked, id: id, actor: "master")
        let info = try await routes.admin.teams.info(id: id)
        let note = blocked ? "Blocked: every gateway now refuses the keys of this team." : "Unblocked."
        return render("Team " + (blocked ? "blocked" : "unblocked"), section: "/ui/teams", page, UILayout.message(note, kind: "notice") + teamBody(info, page: page))
    }

    // MARK: Pieces

    private func teamBody(_ info: TeamInfoResponse, page: DashboardRoutes.Page) -> HTML {
        let team = info.teamInfo
        let row = team.row
        let base = UILayout.path("/ui/teams", row.teamID)
        let period: HTML = info.currentPeriod.map { period in
            "\(UIFormat.dollars(micros: period.spendMicros)) since \(Self.time(period.start, zone: page.zone))"
        } ?? "–"
        let facts = UILayout.table(["Field", "Value"], [
            ["Team", "<code>\(row.teamID)</code>"], ["Alias", "\(row.teamAlias ?? "–")"], ["State", Self.state(blocked: row.blocked)],
            ["Models", Self.modelList(row.limits.models ?? [])], ["Limits", Self.limits(row.limits)], ["Spend / budget", Self.spend(row.limits)],
            ["This budget period", period], ["Metadata", "<code>\(row.limits.metadata.text)</code>"],
        ])
        let action = row.blocked
            ? UILayout.actionButton("Unblock", action: base + "/unblock", csrf: page.csrf)
            : UILayout.actionButton("Block", action: base + "/block", csrf: page.csrf, danger: true)
        let members = team.members.map { member -> [HTML] in
            [
                member.userID.map { "<a href=\"\(UILayout.path("/ui/users", $0))\">\($0)</a>" } ?? "–", "\(member.userEmail ?? "–")",
                "\(member.role ?? "user")",
            ]
        }
        let keys = info.keys.map { key -> [HTML] in
            [
                "<a href=\"\(UILayout.path("/ui/keys", key.row.keyHash))\">\(key.row.alias ?? "(no alias)")</a>", "<code>\(key.row.display)</code>",
                key.row.userID.map { "<a href=\"\(UILayout.path("/ui/users", $0))\">\($0)</a>" } ?? "–", Self.spend(key.row.limits),
                Self.state(blocked: key.row.blocked),
            ]
        }
        return """
            <section class="card">\(facts)<div class="actions">\(action)</div></section>
            <section class="card"><h2>Members <small>\(UIFormat.integer(team.members.count))</small></h2>\
            \(UILayout.table(["User", "Email", "Role"], members, empty: "This team has no members."))</section>
            <section class="card"><h2>Keys <small>\(UIFormat.integer(info.keys.count))</small></h2>\
            \(UILayout.table(["Alias", "Key", "User", "Spend / budget", "State"], keys, empty: "This team has no keys."))</section>
            """
    }

    /// Links to a team's members (their user pages), or "none".
    static func memberLinks(_ members: [TeamMember]) -> HTML {
        let links = members.compactMap(\.userID).map { "<a href=\"\(UILayout.path("/ui/users", $0))\">\($0)</a> " as HTML }
        return links.isEmpty ? "<span class=\"muted\">none</span>" : links.joined()
    }
}

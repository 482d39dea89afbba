import Dialects
import Foundation
import Postgres

/// Teams and their members in PostgreSQL. Every statement binds its values; column names come only from
/// ``LimitPatch`` and the fixed lists here. Each change is written with its audit row in one transaction
/// (``KeyStore/change(actor:_:)``).
struct TeamStore: Sendable {
    let keys: KeyStore
    var pool: PostgresPool { keys.pool }

    /// Most teams one `/team/list` answer holds (newest first).
    static let listLimit = 1_000
    /// Most members one `/team/new` or `/team/member_add` call may add.
    static let maxMembersPerCall = 1_000

    // MARK: Reads

    /// The team with `id` and its members, or nil.
    func team(id: String) async throws -> TeamView? {
        let rows = try await pool.query(
            "SELECT row_to_json(t)::text AS row, \(Self.membersSQL) AS members FROM teams t WHERE team_id = $1", [.text(id)]
        )
        return try Self.view(rows, 0)
    }

    /// Teams newest first (at most ``listLimit``), optionally only those `userID` belongs to.
    func list(userID: String?) async throws -> [TeamView] {
        let filter = userID == nil ? "" : "WHERE EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = t.team_id AND m.user_id = $2)"
        let rows = try await pool.query(
            "SELECT row_to_json(t)::text AS row, \(Self.membersSQL) AS members FROM teams t \(filter) ORDER BY created_at DESC LIMIT $1",
            [PostgresValue(Self.listLimit)] + (userID.map { [.text($0)] } ?? [])
        )
        return try (0..<rows.count).compactMap { try Self.view(rows, $0) }
    }

    /// The keys of team `id` (at most `limit`, newest first).
    func keys(ofTeam id: String, limit: Int = 1_000) async throws -> [KeyRow] {
        let rows = try await pool.query(
            "SELECT row_to_json(k)::text AS row FROM api_keys k WHERE team_id = $1 ORDER BY created_at DESC LIMIT $2",
            [.text(id), PostgresValue(limit)]
        )
        return try AdminRow.decodeAll(KeyRow.self, from: rows.rows.map { $0[0] })
    }

    /// How many keys each team has (teams with none are absent).
    func keyCounts() async throws -> [String: Int] {
        let rows = try await pool.query("SELECT team_id, count(*) AS n FROM api_keys WHERE team_id IS NOT NULL GROUP BY team_id", [])
        var counts: [String: Int] = [:]
        for index in 0..<rows.count {
            if let team = rows.value(index, "team_id") { counts[team] = Int(rows.value(index, "n") ?? "0") ?? 0 }
        }
        return counts
    }

    /// The cost of the team's usage since `start` (the current budget period), from the request log.
    func spend(ofTeam id: String, since start: Date) async throws -> Int64 {
        let rows = try await pool.query(
            "SELECT coalesce(sum(cost_micros), 0)::bigint AS s FROM request_log WHERE team_id = $1 AND started_at >= $2",
            [.text(id), PostgresValue(start)]
        )
        return Int64(rows.value(0, "s") ?? "0") ?? 0
    }

    // MARK: Changes

    /// Creates team `id` with `columns` and `members`; throws 409 when the id or alias is taken.
    func create(id: String, alias: String?, columns: ColumnValues, members: [TeamMember], actor: String) async throws -> TeamView {
        var insert = columns
        insert.set("team_id", .text(id))
        if let alias { insert.set("team_alias", .text(alias)) }
        let values = insert
        do {
            // The members are added after the team's row, in the same transaction.
            _ = try await keys.change(actor: actor) { connection in
                let row = try connection.query(
                    "INSERT INTO teams (\(values.columns)) VALUES (\(values.placeholders(from: 1))) RETURNING row_to_json(teams)::text AS row",
                    values.values
                )
                try Self.add(members, to: id, on: connection)
                return AuditEntry(action: "team.new", targetType: "team", targetID: id, before: nil, after: returnedRow(row))
            }
        } catch let error as PostgresError where error.isUniqueViolation {
            let field = error.message.contains("team_alias") ? "team_alias" : "team_id"
            throw GatewayError(.conflict, "A team with this '\(field)' already exists.", param: field, code: "duplicate_team")
        }
        guard let team = try await team(id: id) else { throw TeamAdminService.notFound() }
        return team
    }

    /// Applies `columns` to team `id` and audits it as `action`; nil when there is no such team.
    func update(id: String, columns: ColumnValues, action: String, actor: String) async throws -> TeamView? {
        let after: String?
        do {
            after = try await keys.updateAudited(.team, id: id, columns: columns, action: action, actor: actor)
        } catch let error as PostgresError where error.isUniqueViolation {
            throw GatewayError(.conflict, "A team with this 'team_alias' already exists.", param: "team_alias", code: "duplicate_team")
        }
        guard after != nil else { return nil }
        return try await team(id: id)
    }

    /// Deletes team `id` and every key of it (as LiteLLM does); returns the deleted keys' hashes, or nil
    /// when there is no such team.
    func delete(id: String, actor: String) async throws -> [String]? {
        let entry = try await keys.change(actor: actor) { connection in
            let keys = try connection.query("DELETE FROM api_keys WHERE team_id = $1 RETURNING key_hash", [.text(id)])
            let row = try connection.query("DELETE FROM teams t WHERE team_id = $1 RETURNING row_to_json(t)::text AS row", [.text(id)])
            guard let before = returnedRow(row) else { return nil }
            let hashes = keys.rows.compactMap { $0[0] }
            return AuditEntry(action: "team.delete", targetType: "team", targetID: id, before: before, after: DeletedKeys(deletedKeys: hashes).json)
        }
        guard let entry else { return nil }
        return DeletedKeys.read(entry.after)
    }

    /// Adds (or re-roles) `members` of team `id`, making users met for the first time; false when there is no such team.
    func addMembers(_ members: [TeamMember], to id: String, actor: String) async throws -> Bool {
        let added = String(decoding: try JSONEncoder().encode(members), as: UTF8.self)
        let entry = try await keys.change(actor: actor) { connection in
            guard try connection.query("SELECT 1 FROM teams WHERE team_id = $1 FOR UPDATE", [.text(id)]).count == 1 else { return nil }
            try Self.add(members, to: id, on: connection)
            return AuditEntry(action: "team.member_add", targetType: "team", targetID: id, before: nil, after: added)
        }
        return entry != nil
    }

    /// Removes the member named by `userID` or `email` from team `id`; false when no such membership exists.
    func removeMember(userID: String?, email: String?, from id: String, actor: String) async throws -> Bool {
        let entry = try await keys.change(actor: actor) { connection in
            let removed = try connection.query(
                """
                DELETE FROM team_members m WHERE m.team_id = $1
                  AND m.user_id IN (
                    SELECT user_id FROM users
                    WHERE ($2::text IS NOT NULL AND user_id = $2::text) OR ($2::text IS NULL AND user_email = $3::text)
                  )
                RETURNING m.user_id
                """,
                [.text(id), PostgresValue(userID), PostgresValue(email)]
            )
            guard removed.count > 0 else { return nil }
            return AuditEntry(
                action: "team.member_delete", targetType: "team", targetID: id, before: JSONText.encode(["user_ids": removed.rows.compactMap { $0[0] }]),
                after: nil
            )
        }
        return entry != nil
    }

    // MARK: Helpers

    /// The members of team `t` as a JSON array, oldest first.
    private static let membersSQL = """
        (SELECT coalesce(json_agg(json_build_object('user_id', m.user_id, 'user_email', u.user_email, 'role', m.role) ORDER BY m.created_at, m.user_id), '[]')::text
         FROM team_members m JOIN users u ON u.user_id = m.user_id WHERE m.team_id = t.team_id)
        """

    private static func view(_ rows: PostgresRows, _ index: Int) throws -> TeamView? {
        guard index < rows.count, let row = rows.value(index, "row") else { return nil }
        return TeamView(
            row: try AdminRow.decode(TeamRow.self, from: row),
            members: try AdminRow.decode([TeamMember].self, from: rows.value(index, "members") ?? "[]")
        )
    }

    /// Inserts memberships, making each user that does not exist yet (by id; by email, a new id).
    private static func add(_ members: [TeamMember], to team: String, on connection: PostgresConnection) throws {
        for member in members {
            let userID: String
            if let id = member.userID {
                try connection.query(
                    "INSERT INTO users (user_id, user_email) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING", [.text(id), PostgresValue(member.userEmail)]
                )
                userID = id
            } else if let email = member.userEmail {
                let existing = try connection.query("SELECT user_id FROM users WHERE user_email = $1 ORDER BY created_at LIMIT 1", [.text(email)])
                if let id = existing.value(0, "user_id") {
                    userID = id
                } else {
                    userID = UUID().uuidString.lowercased()
                    try connection.query("INSERT INTO users (user_id, user_email) VALUES ($1, $2)", [.text(userID), .text(email)])
                }
            } else {
                continue  // refused before the transaction (TeamAdminService.checked)
            }
            try connection.query(
                """
                INSERT INTO team_members (team_id, user_id, role) VALUES ($1, $2, $3)
                ON CONFLICT (team_id, user_id) DO UPDATE SET role = EXCLUDED.role
                """,
                [.text(team), .text(userID), .text(member.role ?? "user")]
            )
        }
    }
}

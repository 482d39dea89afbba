public import Foundation
public import Logging

/// Applies the numbered SQL files of a directory (`0001_initial.sql`, `0002_….sql`) in order, each in its
/// own transaction, recording them in `schema_migrations`.
///
/// The whole run holds a PostgreSQL advisory lock, so gateways starting together apply each file once:
/// the second waits for the first, then finds nothing left to do. Applied files are never edited; the
/// schema grows by new files.
public struct Migrator: Sendable {
    /// A migration file: its number, name and SQL.
    public struct Migration: Sendable, Equatable {
        public let version: Int
        public let name: String
        public let sql: String
    }

    /// Arbitrary constant naming Tollgate's migration lock ("tollgate" in ASCII, truncated).
    static let advisoryLockKey: Int64 = 0x746F_6C6C_6761_7465

    private let pool: PostgresPool
    private let migrations: [Migration]

    public init(pool: PostgresPool, directory: URL) throws {
        self.pool = pool
        self.migrations = try Self.load(directory: directory)
    }

    /// Reads `NNNN_name.sql` files sorted by number; throws on a duplicate number or an unreadable file.
    public static func load(directory: URL) throws -> [Migration] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        var migrations: [Migration] = []
        for name in names where name.hasSuffix(".sql") {
            guard let version = Int(name.prefix { $0.isNumber }) else { continue }
            let sql = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            migrations.append(Migration(version: version, name: name, sql: sql))
        }
        migrations.sort { $0.version < $1.version }
        for (previous, next) in zip(migrations, migrations.dropFirst()) where previous.version == next.version {
            throw PostgresError(.badResult, message: "two migrations share number \(next.version): \(previous.name), \(next.name)")
        }
        return migrations
    }

    /// Applies every migration not yet recorded. Returns the names applied by this call.
    @discardableResult
    public func migrate(logger: Logger) async throws -> [String] {
        let migrations = self.migrations
        let applied = try await pool.withConnection { connection -> [String] in
            try connection.query("SELECT pg_advisory_lock($1)", [PostgresValue(Self.advisoryLockKey)])
            defer { _ = try? connection.query("SELECT pg_advisory_unlock($1)", [PostgresValue(Self.advisoryLockKey)]) }
            try connection.execute(
                script: """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version integer PRIMARY KEY,
                        name text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )
                    """
            )
            let done = Set(try connection.query("SELECT version FROM schema_migrations").rows.compactMap { $0[0].flatMap(Int.init) })
            var appliedNow: [String] = []
            for migration in migrations where !done.contains(migration.version) {
                try connection.query("BEGIN")
                do {
                    // A migration may rewrite a large table: statement_timeout does not apply to it.
                    try connection.query("SELECT set_config('statement_timeout', '0', true)")
                    try connection.execute(script: migration.sql)
                    try connection.query(
                        "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                        [PostgresValue(migration.version), PostgresValue(migration.name)]
                    )
                    try connection.query("COMMIT")
                } catch {
                    _ = try? connection.query("ROLLBACK")
                    throw error
                }
                appliedNow.append(migration.name)
            }
            return appliedNow
        }
        for name in applied { logger.info("applied migration", metadata: ["migration": "\(name)"]) }
        return applied
    }
}

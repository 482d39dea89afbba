import Dialects
import Foundation
import Postgres

/// The stored state of the Responses API in PostgreSQL (`responses` table, `migrations/0004_responses.sql`).
///
/// A row is owned by the key that created it: every read and delete names the owner, so another key's id is
/// simply not found. What a row may hold is bounded by `responses.max_stored_bytes`: a larger response is not
/// stored (``save(id:owner:model:response:input:)`` says so and the route logs a warning).
struct ResponsesStore: Sendable {
    let pool: PostgresPool
    let maxBytes: Int

    /// A stored response: its object as answered and its whole effective input.
    struct Stored: Sendable {
        var response: JSON
        var inputItems: [JSON]

        /// What a follow-up with `previous_response_id` continues from: the input, then the output items.
        var history: [JSON] { inputItems + (response["output"]?.array ?? []) }
    }

    /// The serialised input items, or nil when they alone exceed the cap (the response will not be stored).
    func encodedInput(_ items: [JSON]) -> [UInt8]? {
        let bytes = JSON.array(items).bytes
        return bytes.count <= maxBytes ? bytes : nil
    }

    /// Stores one response; false (nothing written) when it is larger than the cap.
    func save(id: String, owner: String, model: String, response: [UInt8], input: [UInt8]) async throws -> Bool {
        guard response.count + input.count <= maxBytes else { return false }
        _ = try await pool.query(
            "INSERT INTO responses (id, key_id, model, response, input_items, bytes) VALUES ($1, $2, $3, $4::json, $5::json, $6)",
            [
                .text(id), .text(owner), .text(model), .text(String(decoding: response, as: UTF8.self)),
                .text(String(decoding: input, as: UTF8.self)), PostgresValue(response.count + input.count),
            ]
        )
        return true
    }

    /// The response `id` if `owner` stored it.
    func load(id: String, owner: String) async throws -> Stored? {
        let rows = try await pool.query(
            "SELECT response::text AS response, input_items::text AS input_items FROM responses WHERE id = $1 AND key_id = $2",
            [.text(id), .text(owner)]
        )
        guard let responseText = rows.value(0, "response"), let inputText = rows.value(0, "input_items") else { return nil }
        let response = try JSONParser.parse(responseText)
        let input = try JSONParser.parse(inputText)
        return Stored(response: response, inputItems: input.array ?? [])
    }

    /// Deletes the response `id` if `owner` stored it; whether there was one.
    func delete(id: String, owner: String) async throws -> Bool {
        try await pool.query("DELETE FROM responses WHERE id = $1 AND key_id = $2", [.text(id), .text(owner)]).affectedRows > 0
    }

    /// Deletes responses created before `cutoff`, `batchSize` rows per statement; returns how many.
    static func purge(pool: PostgresPool, olderThan cutoff: Date, batchSize: Int, pause: Duration) async throws -> Int {
        var deleted = 0
        while true {
            let count = try await pool.query(
                """
                DELETE FROM responses WHERE id IN (
                    SELECT id FROM responses WHERE created_at < $1::timestamptz ORDER BY created_at LIMIT $2
                )
                """,
                [PostgresValue(cutoff), PostgresValue(batchSize)]
            ).affectedRows
            deleted += count
            if count < batchSize { return deleted }
            try await Task.sleep(for: pause)
        }
    }
}

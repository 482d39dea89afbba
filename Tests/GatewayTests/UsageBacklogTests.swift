import Foundation
import Testing
@testable import Gateway

@Suite("UsageBacklog: the cost PostgreSQL does not have yet")
struct UsageBacklogTests {
    private func record(_ id: String, key: String, user: String?, cost: Int64) -> UsageRecord {
        var record = UsageRecord(
            requestID: id, keyID: key, userID: user, dialect: "openai", endpoint: "/v1/chat/completions", stream: false, outcome: .ok,
            httpStatus: 200, startedAt: Date()
        )
        record.costMicros = cost
        return record
    }

    @Test func costsAddUpPerKeyAndPerUserUntilWritten() {
        let backlog = UsageBacklog()
        let a = record("1", key: "k1", user: "alice", cost: 10)
        let b = record("2", key: "k2", user: "alice", cost: 5)
        let c = record("3", key: "k1", user: nil, cost: 7)
        backlog.add([a, b, c])
        #expect(backlog.cost(scope: "key", id: "k1") == 17)
        #expect(backlog.cost(scope: "key", id: "k2") == 5)
        #expect(backlog.cost(scope: "user", id: "alice") == 15)
        #expect(backlog.cost(scope: "user", id: "bob") == 0)
        backlog.remove([a, c])
        #expect(backlog.cost(scope: "key", id: "k1") == 0)
        #expect(backlog.cost(scope: "user", id: "alice") == 5)
        backlog.remove([b])
        #expect(backlog.cost(scope: "user", id: "alice") == 0)
    }

    @Test func aBatchCountsForItsKeysUsersTeamsAndEndUsersOnce() {
        let backlog = UsageBacklog()
        var records = (0..<6).map { record("\($0)", key: $0 < 4 ? "k1" : "k2", user: $0 % 2 == 0 ? "alice" : nil, cost: Int64($0)) }
        records[1].teamID = "t1"
        records[3].teamID = "t1"
        records[5].endUser = "customer-9"
        backlog.add(records)
        #expect(backlog.cost(scope: "key", id: "k1") == 0 + 1 + 2 + 3)
        #expect(backlog.cost(scope: "key", id: "k2") == 4 + 5)
        #expect(backlog.cost(scope: "user", id: "alice") == 0 + 2 + 4)
        #expect(backlog.cost(scope: "team", id: "t1") == 1 + 3)
        #expect(backlog.cost(scope: "end_user", id: "customer-9") == 5)
        backlog.remove(records[0..<4])
        #expect(backlog.cost(scope: "key", id: "k1") == 0)
        #expect(backlog.cost(scope: "team", id: "t1") == 0)
        #expect(backlog.cost(scope: "user", id: "alice") == 4)
        backlog.remove(records[4...])
        #expect(backlog.cost(scope: "key", id: "k2") == 0)
        #expect(backlog.cost(scope: "end_user", id: "customer-9") == 0)
    }
}

import Dialects

/// The conversation a chat call belongs to, for session affinity: a hash of the key, the model, and the
/// conversation's opening (every message up to and including the first user message), which every later
/// turn of the same conversation repeats. Pure; nil when the body has no messages (`/api/generate`).
enum ConversationKey {
    static func of(nativeBody: [UInt8], keyID: String, model: String) -> UInt64? {
        guard let messages = (try? JSONParser.parse(nativeBody))?["messages"]?.array, !messages.isEmpty else { return nil }
        var hash = FNV1a()
        hash.add(keyID)
        hash.add(model)
        for message in messages {
            let role = message["role"]?.string ?? ""
            hash.add(role)
            hash.add(message["content"]?.string ?? "")
            if role == "user" { break }
        }
        return hash.value
    }

    /// 64-bit FNV-1a; each field ends with a 0xff byte, which UTF-8 never holds, so fields cannot run together.
    private struct FNV1a {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325

        mutating func add(_ text: String) {
            for byte in text.utf8 { mix(byte) }
            mix(0xff)
        }

        private mutating func mix(_ byte: UInt8) {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01b3
        }
    }
}

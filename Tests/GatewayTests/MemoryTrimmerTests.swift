import Foundation
import Testing

@testable import Gateway

@Suite("MemoryTrimmer")
struct MemoryTrimmerTests {
    /// The process's anonymous resident memory, in bytes (`RssAnon` in /proc/self/status).
    private func anonymousResident() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("RssAnon:") })
        let kilobytes = try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
        return kilobytes * 1024
    }

    @Test("a trim gives back free pages inside the heap that free() alone keeps")
    func trimReturnsFreedPages() throws {
        // 32 MiB in 16 KiB blocks (below the mmap threshold: they come from the heap), each followed by a small
        // block that stays allocated, so the freed blocks are holes in the heap, not its top: free() keeps them.
        let blocks = 2048
        var large: [UnsafeMutableRawPointer] = []
        var pins: [UnsafeMutableRawPointer] = []
        for _ in 0..<blocks {
            let block = try #require(malloc(16 * 1024))
            memset(block, 1, 16 * 1024)
            large.append(block)
            pins.append(try #require(malloc(32)))
        }
        defer { pins.forEach { free($0) } }
        large.forEach { free($0) }
        let before = try anonymousResident()
        MemoryTrimmer.trim()
        let after = try anonymousResident()
        // Each hole has at least two whole pages inside it to give back: 2048 × 8 KiB = 16 MiB at least.
        #expect(before - after >= 16 << 20, "RssAnon went from \(before >> 10) KiB to \(after >> 10) KiB")
    }
}

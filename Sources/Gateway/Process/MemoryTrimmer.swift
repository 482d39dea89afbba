#if canImport(Glibc)
internal import CMalloc
#endif
import NIOPosix
public import ServiceLifecycle

/// Gives the heap's free pages back to the kernel now and then, so memory a burst needed (256 streams, a
/// backlog of usage batches) does not stay charged to the process after the burst.
///
/// glibc's allocator returns memory on its own only from the top of each arena, and a freed buffer larger
/// than the mmap threshold raises that threshold (up to 32 MiB), so later large buffers come from the heap
/// and stay there. ``configureAllocator()`` fixes the thresholds instead; the trimmer then calls
/// `malloc_trim(0)`, which also releases whole free pages inside the arenas, every ``interval``, on a
/// blocking-I/O thread (a pass over a few dozen MiB of heap takes well under a millisecond). Pages in use are
/// untouched; a trim costs the next allocation nothing but a page fault.
public struct MemoryTrimmer: Service {
    /// Allocations at least this large get their own mapping, returned to the kernel when freed.
    static let mmapThreshold: Int32 = 256 * 1024
    /// Free memory at an arena's top past which `free` gives it back at once.
    static let trimThreshold: Int32 = 1024 * 1024

    let interval: Duration

    public init(every interval: Duration = .seconds(10)) {
        self.interval = interval
    }

    /// Fixes the allocator's thresholds (see the type's notes); call once, before the server starts.
    public static func configureAllocator() {
        #if canImport(Glibc)
        _ = mallopt(M_MMAP_THRESHOLD, mmapThreshold)
        _ = mallopt(M_TRIM_THRESHOLD, trimThreshold)
        #endif
    }

    /// Releases the heap's free pages now; true when some memory went back to the kernel.
    @discardableResult
    public static func trim() -> Bool {
        #if canImport(Glibc)
        return malloc_trim(0) == 1
        #else
        return false
        #endif
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let wait = interval
            await cancelWhenGracefulShutdown { try? await Task.sleep(for: wait) }
            guard !Task.isShuttingDownGracefully && !Task.isCancelled else { return }
            _ = try? await NIOThreadPool.singleton.runIfActive { Self.trim() }
        }
    }
}

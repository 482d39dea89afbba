/// The Lua scripts that check, charge and settle limits atomically in Redis.
///
/// Every subject (key, user) has five Redis keys, in this order: `rpm` (sorted set of request ids
/// scored by admission time), `tpm` (sorted set of `<request id>:<tokens>` scored by admission time),
/// `par` (sorted set of request ids scored by an expiry, so a crashed gateway's slots free themselves),
/// `res:<period>` (sorted set of `<request id>:<micros>` budget reservations, scored by expiry) and
/// `spend:<period>` (settled spend in micro-dollars). Windows slide over the last 60 s of Redis's own
/// clock (`TIME`), so every replica agrees. Beside `tpm` sits `tpm:sum`, the running total of its
/// window, so no admission reads the whole window.
enum LimitScripts {
    /// ARGV: request id, token estimate, cost estimate (micros), slot TTL (ms), subject count, then per
    /// subject rpm, tpm, parallel, budget (-1 for none). KEYS: five per subject.
    ///
    /// Returns `{1, '', 0, headers…}` when admitted and charged, `{0, limit, retry_ms, headers…, subject}`
    /// when refused (nothing charged), or `{-1, 'seed', subject}` when a budget's spend is not in Redis yet.
    /// headers: rpm limit, rpm remaining, rpm reset ms, tpm limit, tpm remaining, tpm reset ms (-1: none).
    static let admit = LuaScript(
        """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local req, est, cost, ttl, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
        local window = 60000
        local function amount(member) return tonumber(string.match(member, ':(%-?%d+)$')) or 0 end
        local refused, retry, who = nil, 0, -1
        local h = {-1, -1, -1, -1, -1, -1}
        local function note(base, limit, remaining, reset)
          if h[base] < 0 or remaining < h[base + 1] then h[base], h[base + 1], h[base + 2] = limit, remaining, reset end
        end
        for i = 0, n - 1 do
          local k, a = i * 5, 6 + i * 4
          local rpm, tpm, par, budget = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
          if rpm >= 0 then
            redis.call('ZREMRANGEBYSCORE', KEYS[k + 1], '-inf', now - window)
            local used = redis.call('ZCARD', KEYS[k + 1])
            local oldest = redis.call('ZRANGE', KEYS[k + 1], 0, 0, 'WITHSCORES')
            local reset = oldest[2] and (tonumber(oldest[2]) + window - now) or window
            if used + 1 > rpm then
              if not refused then refused, retry, who = 'rpm', reset, i end
              note(1, rpm, math.max(rpm - used, 0), reset)
            else
              note(1, rpm, rpm - used - 1, reset)
            end
          end
          if tpm >= 0 then
            -- A running total beside the window (KEYS[k + 2] .. ':sum') keeps this O(log n): only the
            -- entries leaving the window are read, never the whole window.
            local sumkey = KEYS[k + 2] .. ':sum'
            local used = tonumber(redis.call('GET', sumkey) or '-1')
            local leaving = redis.call('ZRANGEBYSCORE', KEYS[k + 2], '-inf', now - window)
            if used < 0 then
              used = 0
              for _, m in ipairs(redis.call('ZRANGE', KEYS[k + 2], 0, -1)) do used = used + amount(m) end
            end
            for _, m in ipairs(leaving) do used = used - amount(m) end
            if used < 0 then used = 0 end
            if #leaving > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[k + 2], '-inf', now - window) end
            if redis.call('ZCARD', KEYS[k + 2]) == 0 then used = 0 end
            redis.call('SET', sumkey, used, 'PX', window)
            local oldest = redis.call('ZRANGE', KEYS[k + 2], 0, 0, 'WITHSCORES')
            local reset = oldest[2] and (tonumber(oldest[2]) + window - now) or window
            if used + est > tpm then
              local wait, freed = window, 0
              local entries = redis.call('ZRANGE', KEYS[k + 2], 0, -1, 'WITHSCORES')
              for j = 1, #entries, 2 do
                freed = freed + amount(entries[j])
                if used - freed + est <= tpm then wait = tonumber(entries[j + 1]) + window - now break end
              end
              if not refused then refused, retry, who = 'tpm', wait, i end
              note(4, tpm, math.max(tpm - used, 0), reset)
            else
              note(4, tpm, tpm - used - est, reset)
            end
          end
          if par >= 0 then
            redis.call('ZREMRANGEBYSCORE', KEYS[k + 3], '-inf', now)
            if redis.call('ZCARD', KEYS[k + 3]) >= par and not refused then refused, retry, who = 'parallel', 1000, i end
          end
          if budget >= 0 then
            local spend = redis.call('GET', KEYS[k + 5])
            if not spend then return {-1, 'seed', i} end
            spend = tonumber(spend)
            redis.call('ZREMRANGEBYSCORE', KEYS[k + 4], '-inf', now)
            local reserved = 0
            for _, m in ipairs(redis.call('ZRANGE', KEYS[k + 4], 0, -1)) do reserved = reserved + amount(m) end
            if (spend >= budget or spend + reserved + cost > budget) and not refused then refused, retry, who = 'budget', 0, i end
          end
        end
        if refused then return {0, refused, retry, h[1], h[2], h[3], h[4], h[5], h[6], who} end
        for i = 0, n - 1 do
          local k, a = i * 5, 6 + i * 4
          if tonumber(ARGV[a]) >= 0 then
            redis.call('ZADD', KEYS[k + 1], now, req)
            redis.call('PEXPIRE', KEYS[k + 1], window)
          end
          if tonumber(ARGV[a + 1]) >= 0 then
            redis.call('ZADD', KEYS[k + 2], now, req .. ':' .. est)
            redis.call('PEXPIRE', KEYS[k + 2], window)
            redis.call('INCRBY', KEYS[k + 2] .. ':sum', est)
            redis.call('PEXPIRE', KEYS[k + 2] .. ':sum', window)
          end
          if tonumber(ARGV[a + 2]) >= 0 then
            redis.call('ZADD', KEYS[k + 3], now + ttl, req)
            redis.call('PEXPIRE', KEYS[k + 3], ttl)
          end
          if tonumber(ARGV[a + 3]) >= 0 then
            redis.call('ZADD', KEYS[k + 4], now + ttl, req .. ':' .. cost)
            redis.call('PEXPIRE', KEYS[k + 4], ttl)
          end
        end
        return {1, '', 0, h[1], h[2], h[3], h[4], h[5], h[6]}
        """
    )

    /// ARGV: request id, token estimate, real tokens, cost estimate, real cost, subject count. KEYS: five
    /// per subject. Frees the slot, replaces the token estimate and the cost reservation with the real
    /// numbers. Spend is only added where it is already cached (otherwise it is seeded from PostgreSQL).
    static let settle = LuaScript(
        """
        local req, est, real, cost, spent, n = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
        for i = 0, n - 1 do
          local k = i * 5
          redis.call('ZREM', KEYS[k + 3], req)
          local score = redis.call('ZSCORE', KEYS[k + 2], req .. ':' .. est)
          if score then
            redis.call('ZREM', KEYS[k + 2], req .. ':' .. est)
            redis.call('ZADD', KEYS[k + 2], score, req .. ':' .. real)
            if redis.call('EXISTS', KEYS[k + 2] .. ':sum') == 1 then
              redis.call('INCRBY', KEYS[k + 2] .. ':sum', tonumber(real) - tonumber(est))
            end
          end
          redis.call('ZREM', KEYS[k + 4], req .. ':' .. cost)
          if spent > 0 and redis.call('EXISTS', KEYS[k + 5]) == 1 then
            redis.call('INCRBY', KEYS[k + 5], spent)
          end
        end
        return 1
        """
    )
}

package io.tidemark.connector.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The Lua scripts, run with EVALSHA. Their SHA-1 is computed here, so a writer sends EVALSHA
 * straight away and loads a script only when Redis answers NOSCRIPT (first use, or after a restart
 * emptied its script cache).
 *
 * <p>The scripts compare versions only through Redis' own lexicographic commands (memcmp on the
 * member bytes) and Lua's byte equality, never with Lua's {@code <} on strings, which follows the
 * server's locale.
 */
final class RedisScripts {

  /**
   * The checked write: adds one member to each of KEYS and trims, atomically per key. Used only for
   * a version below a collection's write mark (a replay after a crash, or a lane sending an older
   * version than one already written); every other write is a plain pipelined ZADD.
   *
   * <ul>
   *   <li>ARGV[1]: the most members a key keeps (the oldest go first).
   *   <li>ARGV[2i]: the member for KEYS[i].
   *   <li>ARGV[2i+1]: the exclusive lex bound of the trim horizon H for KEYS[i] ("(" + H+1: the
   *       members at or below H lie under it), or "" when no horizon is known yet. All members
   *       below the newest one at or below H are removed: nothing at or after H can read them. A
   *       key of one or two members is left alone (ZCARD is cheap, the range count is not; a later
   *       write or purge trims it).
   * </ul>
   *
   * Returns per key: 1 added; 0 this version was already there (a replay); -1 a newer version is
   * already there, so this older one is not added (adding it could put it in front of a version
   * that is missing, and reads between them would see the older value; see RedisLayout#lookup); or
   * Redis' error text when the key is not a sorted set (WRONGTYPE), leaving the key untouched.
   */
  static final String WRITE =
      """
      local cap = tonumber(ARGV[1])
      local out = {}
      for i = 1, #KEYS do
        local key = KEYS[i]
        local member = ARGV[2 * i]
        local horizon = ARGV[2 * i + 1]
        local version = string.sub(member, 1, 8)
        local newer = redis.pcall('ZLEXCOUNT', key, '[' .. version, '+')
        if type(newer) == 'table' and newer.err then
          out[i] = newer.err
        elseif newer > 0 then
          if redis.call('ZLEXCOUNT', key, '[' .. version, '(' .. version .. '\\255') > 0 then
            out[i] = 0
          else
            out[i] = -1
          end
        else
          redis.call('ZADD', key, 0, member)
          local n = redis.call('ZCARD', key)
          if n > 2 and horizon ~= '' then
            local below = redis.call('ZLEXCOUNT', key, '-', horizon)
            if below > 1 then
              n = n - redis.call('ZREMRANGEBYRANK', key, 0, below - 2)
            end
          end
          if n > cap then
            redis.call('ZREMRANGEBYRANK', key, 0, n - cap - 1)
          end
          out[i] = 1
        end
      end
      return out
      """;

  /**
   * Trims each of KEYS to the horizon whose exclusive lex bound is ARGV[1], keeping the newest
   * member at or below it, then to the newest ARGV[2] members. Returns how many members it removed.
   */
  static final String TRIM =
      """
      local cap = tonumber(ARGV[2])
      local removed = 0
      for i = 1, #KEYS do
        local n = redis.call('ZCARD', KEYS[i])
        if n > 1 then
          local below = redis.call('ZLEXCOUNT', KEYS[i], '-', ARGV[1])
          if below > 1 then
            local gone = redis.call('ZREMRANGEBYRANK', KEYS[i], 0, below - 2)
            removed = removed + gone
            n = n - gone
          end
          if n > cap then
            removed = removed + redis.call('ZREMRANGEBYRANK', KEYS[i], 0, n - cap - 1)
          end
        end
      end
      return removed
      """;

  private RedisScripts() {}

  static byte[] bytes(String script) {
    return script.getBytes(StandardCharsets.UTF_8);
  }

  /** The script's SHA-1 in lower-case hex, as EVALSHA takes it. */
  static byte[] sha1(String script) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-1").digest(bytes(script));
      return HexFormat.of().formatHex(digest).getBytes(StandardCharsets.US_ASCII);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-1", e);
    }
  }
}

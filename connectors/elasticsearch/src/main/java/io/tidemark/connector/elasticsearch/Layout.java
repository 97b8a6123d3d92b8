package io.tidemark.connector.elasticsearch;

import io.tidemark.protocol.Version;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Locale;

/**
 * The versioned layout of design §4 for Elasticsearch, as pure functions: index names, document
 * ids, routing, and the encoding of versions in the {@code _tm_} bookkeeping fields.
 *
 * <p>Versions are unsigned 64-bit LSNs, but the integ-test distribution has no {@code
 * unsigned_long} field type (it lives in an x-pack plugin). They are stored in {@code long} fields
 * with the sign bit flipped, which maps unsigned order onto signed order exactly: {@link
 * Version#ZERO} is {@link Long#MIN_VALUE}, {@link Version#OPEN} is {@link Long#MAX_VALUE}, and a
 * range query on the stored numbers compares versions correctly for every LSN. To read one by hand:
 * {@code lsn = stored + 2^63} (mod 2^64).
 */
final class Layout {

  /** The stored key: a keyword, for lookups by key. */
  static final String KEY = "_tm_key";

  /** The version that wrote the document (encoded, see {@link #encode}). */
  static final String FROM = "_tm_from";

  /** The version that replaced or deleted it; {@link Version#OPEN} while current (encoded). */
  static final String TO = "_tm_to";

  /** Every bookkeeping field starts with this; documents may not use it at their top level. */
  static final String RESERVED_PREFIX = "_tm_";

  /** Elasticsearch refuses ids longer than 512 bytes (UTF-8). */
  static final int MAX_ID_BYTES = 512;

  /** Marks a key that was too long for an id and is replaced by its hash in ids and routing. */
  static final String HASHED_KEY_PREFIX = "~sha256:";

  /** The index that holds the watermark documents. */
  static final String META_INDEX = "tidemark-meta";

  /** Characters Elasticsearch forbids in index names (plus ':' which it deprecated). */
  private static final String FORBIDDEN_INDEX_CHARS = "\\/*?\"<>| ,#:";

  /** Index names are limited to 255 bytes. */
  private static final int MAX_INDEX_BYTES = 255;

  private Layout() {}

  /** The stored form of a version: its unsigned order as a signed long. */
  static long encode(Version version) {
    return version.asLong() ^ Long.MIN_VALUE;
  }

  static Version decode(long stored) {
    return Version.of(stored ^ Long.MIN_VALUE);
  }

  static final long OPEN = encode(Version.OPEN);

  /**
   * The key as it appears in ids and routing: itself, or {@code ~sha256:<base64url>} when the id
   * would pass {@link #MAX_ID_BYTES}. The real key is always in {@link #KEY}.
   */
  static String idKey(String key) {
    // The longest version suffix is "@FFFFFFFF/FFFFFFFF": 18 bytes.
    if (key.length() * 3 + 18 <= MAX_ID_BYTES
        || key.getBytes(StandardCharsets.UTF_8).length + 18 <= MAX_ID_BYTES) {
      return key;
    }
    return HASHED_KEY_PREFIX + sha256(key);
  }

  /**
   * The routing of a key's documents: its id key, except for the empty key, whose empty routing
   * Elasticsearch would take as "no shard" when reading.
   */
  static String routing(String idKey) {
    return idKey.isEmpty() ? EMPTY_KEY_ROUTING : idKey;
  }

  private static final String EMPTY_KEY_ROUTING = "~empty";

  /** The id of the document that holds {@code key}'s version written at {@code from}. */
  static String documentId(String idKey, Version from) {
    return idKey + '@' + from;
  }

  /**
   * The index of a collection: prefix + collection, lower-cased, with each character Elasticsearch
   * forbids replaced by {@code _}.
   *
   * @throws IllegalArgumentException when no valid name results (empty, too long, or starting with
   *     {@code - _ +} for lack of a prefix)
   */
  static String indexName(String prefix, String collection) {
    StringBuilder name = new StringBuilder(prefix.length() + collection.length());
    String lower = (prefix + collection).toLowerCase(Locale.ROOT);
    for (int i = 0; i < lower.length(); i++) {
      char c = lower.charAt(i);
      name.append(FORBIDDEN_INDEX_CHARS.indexOf(c) >= 0 || Character.isWhitespace(c) ? '_' : c);
    }
    String result = name.toString();
    String problem = indexNameProblem(result);
    if (problem != null) {
      throw new IllegalArgumentException(
          "collection '"
              + collection
              + "' with index prefix '"
              + prefix
              + "' gives index name '"
              + result
              + "', which "
              + problem);
    }
    return result;
  }

  /** Why {@code name} is not a valid index name, or null when it is. */
  static String indexNameProblem(String name) {
    if (name.isEmpty()) {
      return "is empty";
    }
    if (name.equals(".") || name.equals("..")) {
      return "is reserved";
    }
    char first = name.charAt(0);
    if (first == '-' || first == '_' || first == '+') {
      return "starts with '" + first + "' (index names may not start with - _ +)";
    }
    if (name.getBytes(StandardCharsets.UTF_8).length > MAX_INDEX_BYTES) {
      return "is longer than " + MAX_INDEX_BYTES + " bytes";
    }
    if (!name.equals(name.toLowerCase(Locale.ROOT))) {
      return "has upper-case letters";
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (FORBIDDEN_INDEX_CHARS.indexOf(c) >= 0 || Character.isWhitespace(c)) {
        return "contains '" + c + "' (forbidden: \\ / * ? \" < > | , # : and spaces)";
      }
    }
    return null;
  }

  /** The id of the watermark document of {@code source} for the indices under {@code prefix}. */
  static String watermarkId(String prefix, String source) {
    return prefix + "watermark-" + source;
  }

  /**
   * The mapping of a collection index: explicit types for the bookkeeping fields, dynamic mapping
   * (Elasticsearch's defaults: strings become text with a keyword sub-field) for the document,
   * except that floating-point numbers are mapped as {@code double}, not {@code float}: a float
   * would lose precision and refuse a value such as 2.5e300 as infinite, stopping the lane. {@code
   * _meta} names the collection, so that two collections whose names sanitize to the same index are
   * caught instead of mixed.
   */
  static String collectionMapping(String collection) {
    return "{\"_meta\":{\"tidemark_collection\":"
        + Json.quote(collection)
        + "},\"dynamic_templates\":[{\"floating_point_as_double\":{"
        + "\"match_mapping_type\":\"double\",\"mapping\":{\"type\":\"double\"}}}]"
        + ",\"properties\":{\""
        + KEY
        + "\":{\"type\":\"keyword\"},\""
        + FROM
        + "\":{\"type\":\"long\"},\""
        + TO
        + "\":{\"type\":\"long\"}}}";
  }

  /**
   * Settings of a new collection index. Visibility is the store's business: readers see what the
   * last explicit refresh (makeVisible) published, so Elasticsearch's periodic refresh is off; it
   * would only cut more, smaller segments.
   */
  static final String COLLECTION_SETTINGS = "{\"index\":{\"refresh_interval\":\"-1\"}}";

  static final String META_MAPPING =
      "{\"dynamic\":false,\"properties\":{"
          + "\"kind\":{\"type\":\"keyword\"},"
          + "\"index_prefix\":{\"type\":\"keyword\"},"
          + "\"store\":{\"type\":\"keyword\"},"
          + "\"source\":{\"type\":\"keyword\"},"
          + "\"version\":{\"type\":\"keyword\"},"
          + "\"updated\":{\"type\":\"date\"}}}";

  static final String META_SETTINGS = "{\"index\":{\"number_of_shards\":1}}";

  private static String sha256(String key) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}

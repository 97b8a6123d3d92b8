package io.tidemark.devstack;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The Elasticsearch integ-test distribution: the zip that Maven downloaded, unpacked once into a
 * cache folder shared by every JVM of this user (unpacked beside it, then renamed into place, so a
 * concurrent JVM sees all of it or nothing).
 *
 * <p>The zip is looked for at {@code -Dtidemark.devstack.elasticsearch.zip}, then where the build
 * that made this jar keeps its local repository, then in {@code -Dmaven.repo.local} and {@code
 * ~/.m2/repository}.
 */
final class ElasticsearchDistribution {
  static final String ZIP_PROPERTY = "tidemark.devstack.elasticsearch.zip";

  private static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwxr-xr-x");
  private static final Set<PosixFilePermission> EXECUTABLE = DIR;
  private static final Set<PosixFilePermission> PLAIN =
      PosixFilePermissions.fromString("rw-r--r--");

  private ElasticsearchDistribution() {}

  static String version() {
    return buildProperties().getProperty("elasticsearch.version");
  }

  /** The unpacked distribution's home folder, unpacking it first when needed. */
  static synchronized Path home() {
    String version = version();
    Path home;
    try {
      home = Cache.root().resolve("elasticsearch-" + version);
    } catch (IOException e) {
      throw new DevstackException("cannot make the devstack cache folder: " + e, e);
    }
    if (Files.isRegularFile(home.resolve("bin/elasticsearch"))) {
      return home;
    }
    if (Files.exists(home)) {
      throw new DevstackException(
          "the Elasticsearch cache folder " + home + " is incomplete; delete it and try again");
    }
    Path zip = zip(version);
    try {
      Path staging = Cache.staging("elasticsearch");
      try {
        unpack(zip, "elasticsearch-" + version, staging);
      } catch (IOException | RuntimeException e) {
        Host.deleteTree(staging);
        throw e;
      }
      Cache.publish(staging, home);
    } catch (IOException e) {
      throw new DevstackException("cannot unpack " + zip + " into " + home + ": " + e, e);
    }
    return home;
  }

  static Path zip(String version) {
    List<Path> candidates = new ArrayList<>();
    String override = System.getProperty(ZIP_PROPERTY);
    if (override != null && !override.isBlank()) {
      Path p = Path.of(override);
      if (!Files.isRegularFile(p)) {
        throw new DevstackException("-D" + ZIP_PROPERTY + "=" + override + " does not name a file");
      }
      return p;
    }
    String built = buildProperties().getProperty("elasticsearch.zip");
    if (built != null && !built.contains("${")) {
      candidates.add(Path.of(built));
    }
    String relative =
        "org/elasticsearch/distribution/integ-test-zip/elasticsearch/"
            + version
            + "/elasticsearch-"
            + version
            + ".zip";
    String repoLocal = System.getProperty("maven.repo.local");
    if (repoLocal != null && !repoLocal.isBlank()) {
      candidates.add(Path.of(repoLocal).resolve(relative));
    }
    candidates.add(Path.of(System.getProperty("user.home"), ".m2", "repository").resolve(relative));
    return candidates.stream()
        .filter(Files::isRegularFile)
        .findFirst()
        .orElseThrow(
            () ->
                new DevstackException(
                    "the Elasticsearch "
                        + version
                        + " distribution is not in the local Maven repository (looked at "
                        + candidates
                        + "); download it with `./mvnw -pl devstack dependency:resolve` or point -D"
                        + ZIP_PROPERTY
                        + " at elasticsearch-"
                        + version
                        + ".zip"));
  }

  private static void unpack(Path zip, String top, Path target) throws IOException {
    try (FileSystem fs =
        FileSystems.newFileSystem(
            URI.create("jar:" + zip.toUri()), Map.of("enablePosixFileAttributes", "true"))) {
      Path root = fs.getPath("/" + top);
      if (!Files.isDirectory(root)) {
        throw new DevstackException(zip + " has no " + top + "/ folder: not the integ-test zip?");
      }
      try (Stream<Path> entries = Files.walk(root)) {
        for (Path entry : (Iterable<Path>) entries::iterator) {
          Path out = target.resolve(root.relativize(entry).toString());
          if (Files.isDirectory(entry)) {
            Files.createDirectories(out);
            Files.setPosixFilePermissions(out, DIR);
          } else {
            Files.createDirectories(out.getParent());
            try (InputStream in = Files.newInputStream(entry)) {
              Files.copy(in, out);
            }
            Files.setPosixFilePermissions(out, executable(entry) ? EXECUTABLE : PLAIN);
          }
        }
      }
    }
  }

  private static boolean executable(Path entry) {
    try {
      Set<PosixFilePermission> perms =
          Files.readAttributes(entry, PosixFileAttributes.class).permissions();
      if (perms != null && perms.contains(PosixFilePermission.OWNER_EXECUTE)) {
        return true;
      }
    } catch (IOException | UnsupportedOperationException e) {
      // no recorded permissions: fall back on the folder
    }
    return entry.getParent() != null && entry.getParent().toString().endsWith("/bin");
  }

  private static Properties buildProperties() {
    Properties properties = new Properties();
    try (InputStream in =
        ElasticsearchDistribution.class.getResourceAsStream("devstack.properties")) {
      if (in == null) {
        throw new IllegalStateException("devstack.properties is missing from the devstack jar");
      }
      properties.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return properties;
  }
}

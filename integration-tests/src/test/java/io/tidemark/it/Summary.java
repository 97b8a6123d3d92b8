package io.tidemark.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** What a campaign did and found, printed and written as Markdown and JSON. */
final class Summary {

  final Map<String, Object> figures = new LinkedHashMap<>();
  final Checker.Report report;
  final Campaign.FinalComparison comparison;
  final Map<String, Long> faults = new LinkedHashMap<>();
  final List<String> faultLog;
  final List<String> findings;

  Summary(
      Campaign campaign,
      Checker.Report report,
      Campaign.FinalComparison comparison,
      Duration load,
      Duration total) {
    this.report = report;
    this.comparison = comparison;
    campaign.faults.forEach(
        (k, v) -> faults.put(k.name().toLowerCase(java.util.Locale.ROOT), v.get()));
    this.faultLog = List.copyOf(campaign.faultLog);
    this.findings = List.copyOf(campaign.findings);
    figures.put("seed", campaign.settings.seed());
    figures.put("loadSeconds", load.toSeconds());
    figures.put("totalSeconds", total.toSeconds());
    figures.put("transactions", campaign.history.txCount());
    figures.put(
        "rowChanges", campaign.history.txs().stream().mapToLong(t -> t.writes().size()).sum());
    figures.put("reads", campaign.history.readCount());
    figures.put("readsChecked", report.checked());
    figures.put(
        "readsCheckedExactly", report.exact.values().stream().mapToLong(Long::longValue).sum());
    figures.put(
        "readsCheckedWithAmbiguity",
        report.ambiguous.values().stream().mapToLong(Long::longValue).sum());
    figures.put(
        "readsCheckedAtTokensBetweenBoundaries",
        report.betweenBoundaries.values().stream().mapToLong(Long::longValue).sum());
    figures.put("readsCheckedByStoreAndLevel", report.checkedBy());
    figures.put("cacheMisses", report.misses);
    figures.put("readErrors", report.errors);
    figures.put("snapshots", report.groups);
    figures.put("snapshotsWithAmbiguousTransactions", report.groupsWithAmbiguity);
    figures.put("snapshotsTooAmbiguousToEnumerate", report.groupsTooAmbiguous);
    figures.put("frontierObservations", report.frontierObservations);
    figures.put("readYourWritesMet", report.readYourWritesMet);
    figures.put("readYourWritesTimedOut", report.readYourWritesTimedOut);
    figures.put("refusalsChecked", report.refusalsChecked);
    figures.put("faultsInjected", faults);
    figures.put("redeliveredWalBytes", campaign.redeliveredBytes.get());
    figures.put("writerRetries", campaign.writeRetries.get());
    figures.put("commitsInDoubt", campaign.commitsInDoubt.get());
    Map<String, Long> unavailable = new TreeMap<>();
    campaign.unavailable.forEach((k, v) -> unavailable.put(k, v.get()));
    figures.put("snapshotsRefusedOrUnavailable", unavailable);
    figures.put("finalFrontier", comparison.at().toString());
    figures.put("rowsCompared", comparison.rowsCompared());
    figures.put("rowsLost", comparison.rowsLost());
    figures.put("finalMismatches", comparison.problems().size());
    figures.put("violations", report.violations.size());
  }

  long violations() {
    return report.violations.size();
  }

  long rowsLost() {
    return comparison.rowsLost();
  }

  String markdown() {
    StringBuilder md =
        new StringBuilder("# Fault campaign summary\n\n| figure | value |\n|---|---|\n");
    figures.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
    md.append("\n## Faults\n\n");
    faultLog.forEach(line -> md.append("- ").append(line).append('\n'));
    md.append("\n## Findings\n\n");
    if (findings.isEmpty()) {
      md.append("none\n");
    }
    findings.forEach(line -> md.append("- ").append(line).append('\n'));
    md.append("\n## Violations\n\n");
    if (report.violations.isEmpty()) {
      md.append("none\n");
    }
    report.violations.stream()
        .limit(50)
        .forEach(v -> md.append("```\n").append(v).append("\n```\n"));
    md.append("\n## Final comparison problems\n\n");
    if (comparison.problems().isEmpty()) {
      md.append("none\n");
    }
    comparison.problems().stream().limit(50).forEach(p -> md.append("- ").append(p).append('\n'));
    return md.toString();
  }

  /** Writes {@code <name>.md} and {@code <name>.json} into {@code folder}. */
  void write(Path folder, String name) throws IOException {
    Files.createDirectories(folder);
    Files.writeString(folder.resolve(name + ".md"), markdown());
    Map<String, Object> json = new LinkedHashMap<>(figures);
    json.put("faultLog", faultLog);
    json.put("findings", findings);
    json.put(
        "violationDetails", report.violations.stream().limit(200).map(Object::toString).toList());
    json.put("finalProblems", comparison.problems().stream().limit(200).toList());
    new ObjectMapper()
        .enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(folder.resolve(name + ".json").toFile(), json);
  }
}

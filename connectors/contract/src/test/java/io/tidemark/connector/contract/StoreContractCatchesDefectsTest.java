package io.tidemark.connector.contract;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.connector.contract.ModelStore.Defect;
import org.junit.jupiter.api.Test;

/** Each check of the suite fails on a store with the bug it exists to catch. */
class StoreContractCatchesDefectsTest {

  private static StoreContract suiteOn(Defect defect, boolean cache, boolean deferVisibility) {
    return new StoreContract() {
      @Override
      protected StoreFixture openStore(String testName) {
        ModelStore store = new ModelStore(defect, cache, deferVisibility);
        return StoreFixture.of(store, store);
      }
    };
  }

  @Test
  void readsCatchAStoreThatLeavesOldVersionsOpen() {
    assertThatThrownBy(
            () ->
                suiteOn(Defect.IGNORES_CLOSING, false, false)
                    .readsAtAnySnapshotEqualTheSourceAsOfThatSnapshot())
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("get(");
  }

  @Test
  void clearCatchesAStoreThatKeepsTheEntries() {
    assertThatThrownBy(
            () ->
                suiteOn(Defect.CLEAR_KEEPS_ENTRIES, false, false)
                    .clearLeavesACollectionAsIfNothingHadBeenWritten())
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("after clear");
  }

  @Test
  void concurrentReadersCatchAStoreThatLeavesOldVersionsOpen() {
    assertThatThrownBy(
            () ->
                suiteOn(Defect.IGNORES_CLOSING, false, false)
                    .concurrentReadersNeverSeeAHalfAppliedEpoch())
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("concurrent readers or writer failed");
  }

  @Test
  void purgeCatchesAStoreThatRemovesTheEntryVisibleAtTheHorizon() {
    assertThatThrownBy(
            () ->
                suiteOn(Defect.PURGES_ENTRY_VISIBLE_AT_HORIZON, false, false)
                    .purgeKeepsEveryReadFromTheHorizonOn())
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("purge at horizon");
  }

  @Test
  void watermarkCatchesAWatermarkThatMovesBack() {
    assertThatThrownBy(
            () ->
                suiteOn(Defect.WATERMARK_MOVES_BACK, false, false)
                    .watermarkCoversVisibleEpochsAndNeverMovesBack())
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("moved back");
  }

  @Test
  void replayCatchesAWatermarkThatMovesBack() {
    assertThatThrownBy(
            () ->
                suiteOn(Defect.WATERMARK_MOVES_BACK, false, false).replayingAnEpochChangesNothing())
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("moved back");
  }

  @Test
  void reapplyCatchesAStoreThatClosesItsOwnEntry() {
    assertThatThrownBy(
            () ->
                suiteOn(Defect.REAPPLY_CLOSES_ITS_OWN_ENTRY, false, true)
                    .reapplyingAHalfAppliedEpochLeavesTheSameReads())
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("epoch applied twice");
  }

  @Test
  void roundTripCatchesAStoreThatDropsNullFields() {
    assertThatThrownBy(
            () -> suiteOn(Defect.DROPS_NULL_FIELDS, false, false).awkwardKeysAndValuesRoundTrip())
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("document differs");
  }

  @Test
  void searchCatchesASearchThatIgnoresTheSnapshot() {
    assertThatThrownBy(
            () ->
                suiteOn(Defect.SEARCH_IGNORES_SNAPSHOT, false, false)
                    .searchAtASnapshotFindsExactlyTheMatchingRowsOfThatSnapshot())
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("search(");
  }

  @Test
  void readsCatchACacheThatAnswersWithAnotherVersion() {
    assertThatThrownBy(
            () ->
                suiteOn(Defect.CACHE_ANSWERS_NEWEST, true, false)
                    .readsAtAnySnapshotEqualTheSourceAsOfThatSnapshot())
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("get(");
  }

  @Test
  void purgeCatchesAStoreWhosePurgeRemovesNothing() {
    StoreContract suite =
        new StoreContract() {
          @Override
          protected StoreFixture openStore(String testName) {
            ModelStore store = new ModelStore(Defect.NONE, false, false);
            return StoreFixture.of(
                new ForwardingWriter(store) {
                  @Override
                  public long purge(String collection, io.tidemark.protocol.Version horizon) {
                    return 0;
                  }
                },
                store);
          }
        };
    assertThatThrownBy(suite::purgeKeepsEveryReadFromTheHorizonOn)
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("entries removed by purge");
  }

  @Test
  void cacheChecksCatchACacheThatNeverAnswers() {
    StoreContract suite =
        new StoreContract() {
          @Override
          protected StoreFixture openStore(String testName) {
            ModelStore store = new ModelStore(Defect.NONE, true, true);
            return StoreFixture.of(store, new AlwaysMissReader());
          }
        };
    assertThatThrownBy(suite::readsAtAnySnapshotEqualTheSourceAsOfThatSnapshot)
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("rather than MISS");
  }
}

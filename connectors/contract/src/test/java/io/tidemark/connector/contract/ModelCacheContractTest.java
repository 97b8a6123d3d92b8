package io.tidemark.connector.contract;

/**
 * The suite passes on a correct cache that misses a third of the keys, keeps delete markers, and
 * moves its watermark only at makeVisible.
 */
class ModelCacheContractTest extends StoreContract {

  @Override
  protected StoreFixture openStore(String testName) {
    ModelStore store = new ModelStore(ModelStore.Defect.NONE, true, true);
    return StoreFixture.of(store, store);
  }
}

package io.tidemark.connector.contract;

/** The suite passes on a correct (in-memory, authoritative, searching) store. */
class ModelStoreContractTest extends StoreContract {

  @Override
  protected StoreFixture openStore(String testName) {
    ModelStore store = new ModelStore(ModelStore.Defect.NONE, false, false);
    return StoreFixture.of(store, store);
  }
}

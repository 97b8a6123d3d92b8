package io.tidemark.connector.elasticsearch;

import io.tidemark.connector.contract.StoreContract;
import io.tidemark.connector.contract.StoreFixture;

/**
 * The contract suite again with the key cache off: every version to close is found by a search in
 * the store, as after a restart or for keys the cache no longer holds.
 */
class ElasticsearchUncachedContractIT extends StoreContract {

  @Override
  protected StoreFixture openStore(String testName) {
    ElasticsearchStore store =
        ElasticsearchStore.open(
            ElasticsearchStoreConfig.of(TestCluster.url())
                .withIndexPrefix("tm-contract-nc-")
                .withKeyCacheSize(0));
    return StoreFixture.of(store, store);
  }
}

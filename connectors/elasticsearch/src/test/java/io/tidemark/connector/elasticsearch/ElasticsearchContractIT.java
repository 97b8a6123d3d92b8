package io.tidemark.connector.elasticsearch;

import io.tidemark.connector.contract.StoreContract;
import io.tidemark.connector.contract.StoreFixture;

/** The store contract suite against a real Elasticsearch. */
class ElasticsearchContractIT extends StoreContract {

  @Override
  protected StoreFixture openStore(String testName) {
    ElasticsearchStore store =
        ElasticsearchStore.open(
            ElasticsearchStoreConfig.of(TestCluster.url()).withIndexPrefix("tm-contract-"));
    return StoreFixture.of(store, store);
  }
}

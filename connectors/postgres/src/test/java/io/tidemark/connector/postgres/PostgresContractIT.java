package io.tidemark.connector.postgres;

import io.tidemark.connector.contract.StoreContract;
import io.tidemark.connector.contract.StoreFixture;

/** The store contract against the devstack's real PostgreSQL, in a schema per test. */
class PostgresContractIT extends StoreContract {

  @Override
  protected StoreFixture openStore(String testName) {
    PostgresStore store = PostgresStore.open(TestDatabase.config("readdb"));
    return StoreFixture.of(store, store);
  }
}

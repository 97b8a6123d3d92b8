package io.tidemark.connector.postgres;

import io.tidemark.connector.contract.StoreContract;
import io.tidemark.connector.contract.StoreFixture;

/**
 * The store contract against the devstack's real PostgreSQL, in a schema per test. Writer and
 * reader are separate instances, as in a deployment where the coordinator writes and applications
 * read.
 */
class PostgresContractIT extends StoreContract {

  @Override
  protected StoreFixture openStore(String testName) {
    PostgresStoreConfig config = TestDatabase.config("readdb");
    return StoreFixture.of(PostgresStore.open(config), PostgresStore.open(config));
  }
}

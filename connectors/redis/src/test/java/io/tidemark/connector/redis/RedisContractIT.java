package io.tidemark.connector.redis;

import io.tidemark.connector.contract.StoreContract;
import io.tidemark.connector.contract.StoreFixture;
import io.tidemark.devstack.Devstack;
import io.tidemark.devstack.StoreKind;

/**
 * The store contract suite against a real Redis (the devstack's shared one). Writer and reader are
 * separate instances, as in a deployment where the coordinator writes and applications read.
 */
class RedisContractIT extends StoreContract {

  @Override
  protected StoreFixture openStore(String testName) {
    RedisStoreConfig config =
        RedisStoreConfig.of(
            "cache",
            Devstack.shared(StoreKind.REDIS).redis().host()
                + ":"
                + Devstack.shared(StoreKind.REDIS).redis().port());
    RedisStore writer = RedisStore.open(config);
    RedisStore reader = RedisStore.open(config);
    return StoreFixture.of(writer, reader);
  }
}

package io.tidemark.connector.memcached;

import io.tidemark.connector.contract.StoreContract;
import io.tidemark.connector.contract.StoreFixture;
import io.tidemark.devstack.Devstack;
import io.tidemark.devstack.StoreKind;

/**
 * The store contract suite against a real Memcached (the devstack's shared one, {@code -I 2m}).
 * Writer and reader are separate instances, as in a deployment where the coordinator writes and
 * applications read.
 */
class MemcachedContractIT extends StoreContract {

  @Override
  protected StoreFixture openStore(String testName) {
    MemcachedStoreConfig config =
        MemcachedStoreConfig.of(
            "cache", Devstack.shared(StoreKind.MEMCACHED).memcached().address());
    MemcachedStore writer = MemcachedStore.open(config);
    MemcachedStore reader = MemcachedStore.open(config);
    return StoreFixture.of(writer, reader);
  }

  /** Lists are trimmed whenever their key is written; see {@link MemcachedStore#purge}. */
  @Override
  protected boolean purgeIsUnnecessary() {
    return true;
  }
}

/**
 * The store contract suite: {@link io.tidemark.connector.contract.StoreContract}, one abstract
 * JUnit 5 class that every connector runs unchanged against its real store (subclass {@code
 * <Store>ContractIT}, returning a {@link io.tidemark.connector.contract.StoreFixture}).
 */
package io.tidemark.connector.contract;

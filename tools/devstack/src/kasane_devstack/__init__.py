"""Kasane's local stack without Docker: real Apache Kafka (KRaft, jars from Maven Central,
run on the machine's Java 17), PostgreSQL from Debian's package, and the four services,
all listening on 127.0.0.1, everything kept under ``.local/``."""

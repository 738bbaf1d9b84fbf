# random.openssl: RAND_bytes
$(call mg_plugin,random.openssl,unix,random.c,-lcrypto)

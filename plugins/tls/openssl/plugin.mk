# tls.openssl: TLS 1.2/1.3 on a stackv4's TCP connections (OpenSSL 3)
$(call mg_plugin,tls.openssl,unix,tls.c flow.c ctx.c ../common/tlsstack.c ../common/tlsbuf.c ../common/tlssess.c ../common/tlsalpn.c,-lssl -lcrypto)

# tests/http.mk - http.server's unit tests beyond the parser (included by the
# Makefile): its connection and response code over a fake flow.
TESTS += $(BUILD)/tests/test_http_response
$(BUILD)/tests/test_http_response: tests/test_http_response.c tests/fakehost.c tests/checkrun.c \
		plugins/http/conn.c plugins/http/response.c plugins/http/parser.c \
		$(wildcard plugins/http/*.h) | $(TEST_STAMP)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Itests -Iplugins/http -o $@ $(filter %.c,$^) -ldl $(CHECK_FLAGS) $(LDFLAGS_SAN)

/*
 * fuzz/fuzz_kubeconfig.c - libFuzzer target for the kubeconfig parser
 * (lib/k8s/config.c).
 *
 * Any input must give AG_OK with a server URL, or an error with a message
 * and an all-empty config; never a crash, leak or hang. Decoded *-data
 * fields are NUL-terminated at their length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "augur/k8s.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ag_k8s_config c;
    ag_errinfo ei;
    ag_err rc;

    ei.msg[0] = '\0';
    rc = ag_k8s_config_parse("/fuzz/kubeconfig", (const char *)data, size, &c, &ei);
    if (rc != AG_OK) {
        if (c.server || c.token || c.ca_data || c.cert_data || c.key_data || !ei.msg[0])
            abort();
        return 0;
    }
    if (!c.server || (strncmp(c.server, "https://", 8) != 0 && strncmp(c.server, "http://", 7)))
        abort();
    if ((c.ca_data && c.ca_data[c.ca_data_len] != '\0') ||
        (c.cert_data && c.cert_data[c.cert_data_len] != '\0') ||
        (c.key_data && c.key_data[c.key_data_len] != '\0') || c.ca_data_len > size)
        abort();
    if ((c.cert_file || c.cert_data) != (c.key_file || c.key_data))
        abort();
    ag_k8s_config_free(&c);
    return 0;
}

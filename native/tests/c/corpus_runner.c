/*
 * The attack corpus through the C ABI of a built library, for platforms where no Python runs
 * next to it (win-x64 under Wine: scripts/platforms.py). The verdicts are judged by the caller.
 *
 * usage: corpus_runner JWKS_FILE CASES_FILE
 *   JWKS_FILE   the corpus JWK Set (JSON)
 *   CASES_FILE  one case a line, fields separated by tabs:
 *               name, issuer, audience, required scopes (space-separated), clock skew (s),
 *               now (Unix s), allowed algorithms (comma-separated), token; in each field a
 *               backslash escapes a line break (\n, \r), a tab (\t) or itself (\\)
 * Prints "name<TAB>code<TAB>code" per case: the verdict of a first and a second validation (the
 * second may come from the verified-token cache). Exit status 0 when every call that must
 * succeed did (setup, option setters); the verdicts themselves are not judged here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gopher_auth.h"

#define FIELDS 8

/* One line of any length (tokens reach a megabyte); NULL at end of file. */
static char *read_line(FILE *file) {
    size_t size = 4096, used = 0;
    char *line = malloc(size);
    int c;
    if (line == NULL) return NULL;
    while ((c = fgetc(file)) != EOF && c != '\n') {
        if (used + 1 >= size) {
            char *bigger = realloc(line, size * 2);
            if (bigger == NULL) { free(line); return NULL; }
            line = bigger;
            size *= 2;
        }
        if (c != '\r') line[used++] = (char)c;
    }
    if (c == EOF && used == 0) { free(line); return NULL; }
    line[used] = '\0';
    return line;
}

static char *read_file(const char *path) {
    FILE *file = fopen(path, "rb");
    char *text;
    long size;
    if (file == NULL) return NULL;
    fseek(file, 0, SEEK_END);
    size = ftell(file);
    fseek(file, 0, SEEK_SET);
    text = malloc((size_t)size + 1);
    if (text != NULL && fread(text, 1, (size_t)size, file) == (size_t)size) {
        text[size] = '\0';
    } else {
        free(text);
        text = NULL;
    }
    fclose(file);
    return text;
}

/* Undo the escapes of one field, in place. */
static void unescape(char *field) {
    char *out = field;
    for (const char *in = field; *in != '\0'; in++) {
        if (*in == '\\' && in[1] != '\0') {
            in++;
            *out++ = *in == 'n' ? '\n' : *in == 'r' ? '\r' : *in == 't' ? '\t' : *in;
        } else {
            *out++ = *in;
        }
    }
    *out = '\0';
}

static int setup_failures = 0;

static void must(int32_t code, const char *what, const char *name) {
    if (code != GOPHER_AUTH_SUCCESS) {
        fprintf(stderr, "%s: %s failed with %d (%s)\n", name, what, (int)code,
                gopher_auth_last_error_message());
        setup_failures++;
    }
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s JWKS_FILE CASES_FILE\n", argv[0]);
        return 2;
    }
    char *jwks = read_file(argv[1]);
    FILE *cases = fopen(argv[2], "rb");
    if (jwks == NULL || cases == NULL) {
        fprintf(stderr, "cannot read %s or %s\n", argv[1], argv[2]);
        return 2;
    }
    must(gopher_auth_init(), "gopher_auth_init", "setup");
    char *line;
    while ((line = read_line(cases)) != NULL) {
        char *field[FIELDS];
        char *at = line;
        int count = 0;
        for (; count < FIELDS; count++) {
            field[count] = at;
            char *tab = strchr(at, '\t');
            if (tab == NULL) { count++; break; }
            *tab = '\0';
            at = tab + 1;
        }
        if (count != FIELDS) {
            fprintf(stderr, "malformed case line (%d fields)\n", count);
            free(line);
            return 2;
        }
        for (int i = 0; i < FIELDS; i++) unescape(field[i]);
        const char *name = field[0];
        gopher_auth_client_t *client = NULL;
        gopher_auth_validation_options_t *options = NULL;
        must(gopher_auth_client_create(&client, "", field[1]), "client_create", name);
        must(gopher_auth_client_set_option(client, "allowed_algorithms", field[6]), "allowed_algorithms", name);
        must(gopher_auth_client_load_jwks(client, jwks), "load_jwks", name);
        must(gopher_auth_validation_options_create(&options), "options_create", name);
        must(gopher_auth_validation_options_set_audience(options, field[2]), "set_audience", name);
        must(gopher_auth_validation_options_set_scopes(options, field[3]), "set_scopes", name);
        must(gopher_auth_validation_options_set_clock_skew(options, strtoll(field[4], NULL, 10)), "set_clock_skew", name);
        must(gopher_auth_validation_options_set_time(options, strtoll(field[5], NULL, 10)), "set_time", name);
        int32_t verdicts[2];
        for (int i = 0; i < 2; i++) {
            gopher_auth_validation_result_t result;
            memset(&result, 0, sizeof result);
            verdicts[i] = gopher_auth_validate_token(client, field[7], options, &result);
            if (result.error_code != verdicts[i] || result.valid != (verdicts[i] == 0)) {
                fprintf(stderr, "%s: result struct disagrees with the return code\n", name);
                setup_failures++;
            }
        }
        printf("%s\t%d\t%d\n", name, (int)verdicts[0], (int)verdicts[1]);
        gopher_auth_validation_options_destroy(options);
        gopher_auth_client_destroy(client);
        free(line);
    }
    fclose(cases);
    free(jwks);
    must(gopher_auth_shutdown(), "gopher_auth_shutdown", "teardown");
    return setup_failures == 0 ? 0 : 1;
}

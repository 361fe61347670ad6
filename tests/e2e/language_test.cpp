// ?language= and Accept-Language: error messages in the nine languages of the Bold API, on a
// real server; codes never change, and without a language the seed's bodies stay as they are.
#include <array>

#include "api_fixture.hpp"
#include "expect_error.hpp"
#include "support/raw_connection.hpp"

namespace hookd::testing {
namespace {

constexpr std::array<const char*, 9> kLanguages = {"ar", "cs", "de", "en", "es",
                                                   "fr", "it", "nl", "pl"};

class LanguageTest : public ApiTest {
 protected:
  // `status` with `code`, and `message` as both message and errorMessage.
  static void expect_message(const HttpResponse& r, long status, std::string_view code,
                             std::string_view message) {
    expect_error(r, status, code);
    if (r.status != status) return;
    EXPECT_EQ(r.json().at("message").as_string(), message) << r;
    EXPECT_EQ(r.json().at("errorMessage").as_string(), message) << r;
    EXPECT_EQ(r.json().at("errorCode").as_string(), code) << r;
  }

  HttpResponse send(std::string_view method, const std::string& path,
                    std::optional<std::string> body, const std::string& token,
                    HttpHeaders headers = {}) {
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    return client_->request(method, path, std::move(body), std::move(headers));
  }
};

struct Expected {
  const char* language;
  const char* invalid_token;
  const char* unsupported_protocol;
  const char* webhook_not_found;
  const char* missing_field;  // webhookUrl left out of a create
};

// Written out here, not read from the catalog: what a client of each language reads.
const Expected kExpected[] = {
    {"ar", "رمز المصادقة غير صالح", "بروتوكول غير مدعوم: ندعم https فقط حاليًا.",
     "لم يتم العثور على الـ webhook", "نص الطلب غير صالح: الحقل webhookUrl مطلوب"},
    {"cs", "Neplatný autentizační token", "Nepodporovaný protokol: Zatím podporujeme pouze https.",
     "Webhook nenalezen", "Neplatné tělo požadavku: webhookUrl je povinné"},
    {"de", "Ungültiges Authentifizierungstoken",
     "Nicht unterstütztes Protokoll: Wir unterstützen derzeit nur https.", "Webhook nicht gefunden",
     "Ungültiger Anfragetext: webhookUrl ist erforderlich"},
    {"en", "Invalid authentication token", "Unsupported protocol: We only support https for now.",
     "Webhook not found", "Invalid request body: webhookUrl is required"},
    {"es", "Token de autenticación no válido",
     "Protocolo no admitido: Por ahora solo admitimos https.", "Webhook no encontrado",
     "Cuerpo de la solicitud no válido: webhookUrl es obligatorio"},
    {"fr", "Jeton d'authentification non valide",
     "Protocole non pris en charge : Pour l'instant, nous ne prenons en charge que https.",
     "Webhook introuvable", "Corps de requête non valide : webhookUrl est obligatoire"},
    {"it", "Token di autenticazione non valido",
     "Protocollo non supportato: Per ora supportiamo solo https.", "Webhook non trovato",
     "Corpo della richiesta non valido: webhookUrl è obbligatorio"},
    {"nl", "Ongeldig authenticatietoken",
     "Niet-ondersteund protocol: We ondersteunen voorlopig alleen https.", "Webhook niet gevonden",
     "Ongeldige body van het verzoek: webhookUrl is verplicht"},
    {"pl", "Nieprawidłowy token uwierzytelniający",
     "Nieobsługiwany protokół: Na razie obsługujemy tylko https.", "Nie znaleziono webhooka",
     "Nieprawidłowa treść żądania: webhookUrl jest wymagane"},
};

TEST_F(LanguageTest, EachOfTheNineLanguagesTranslatesTheMessageAndKeepsTheCode) {
  ASSERT_EQ(std::size(kExpected), kLanguages.size());
  const std::string insecure = R"({"organizationId":7,"webhookUrl":"http://webhooks.athom.com/x",)"
                               R"("topics":["DeviceStatusEvents"]})";
  for (const Expected& e : kExpected) {
    SCOPED_TRACE(e.language);
    const std::string q = std::string("?language=") + e.language;
    expect_message(send("GET", "/v2/webhooks" + q, {}, "not-a-token"), 401,
                   "InvalidAuthenticationToken", e.invalid_token);
    expect_message(send("POST", "/v2/webhooks" + q, insecure, admin7_), 400,
                   "WebhookUnsupportedProtocol", e.unsupported_protocol);
    expect_message(send("GET", "/v2/webhooks/987654" + q, {}, admin6_), 404, "WebhookNotFound",
                   e.webhook_not_found);
    expect_message(send("POST", "/v2/webhooks" + q,
                        R"({"organizationId":6,"topics":["DeviceStatusEvents"]})", admin6_),
                   400, "InvalidRequestBody", e.missing_field);
  }
}

TEST_F(LanguageTest, DataInAMessageIsInsertedAsSentNotTranslated) {
  expect_message(send("POST", "/v2/webhooks?language=de",
                      R"({"organizationId":6,"webhookUrl":"https://x.example/",)"
                      R"("topics":["DeviceDanceEvents"]})",
                      admin6_),
                 400, "UnsupportedTopic", "Nicht unterstütztes Thema: DeviceDanceEvents");
  expect_message(send("POST", "/v2/webhooks?language=fr",
                      R"({"organizationId":6,"webhookUrl":"https://x.example/#a",)"
                      R"("topics":["DeviceStatusEvents"]})",
                      admin6_),
                 400, "WebhookInvalidUrl",
                 "URL de webhook non valide : un fragment n'est pas autorisé dans webhookUrl");
  expect_message(send("POST", "/v2/webhooks?language=cs",
                      R"({"organizationId":6,"deviceIds":[85,"x"],)"
                      R"("webhookUrl":"https://x.example/","topics":["DeviceStatusEvents"]})",
                      admin6_),
                 400, "InvalidRequestBody",
                 "Neplatné tělo požadavku: položky deviceIds musí být kladná celá čísla");
  expect_message(send("GET", "/v2/webhooks?size=500&language=it", {}, admin6_), 400,
                 "InvalidQueryParameter",
                 "Parametro di query non valido: size deve essere un numero intero da 1 a 100");
  // An event of a batch is named by its index; the ingestor's own answer is translated too.
  expect_message(send("POST", "/v2/platform/events?language=es",
                      R"({"events":[{"deviceId":85,"topic":"Nope"}]})", platform_token_),
                 400, "UnsupportedTopic", "Tema no admitido: Nope (events[0])");
  expect_message(send("POST", "/v2/platform/events?language=pl",
                      R"({"deviceId":999999,"topic":"DeviceStatusEvents"})", platform_token_),
                 404, "DeviceNotFound", "Nie znaleziono urządzenia: 999999");
  expect_message(send("GET", "/no/such/route?language=nl", {}, ""), 404, "NotFound",
                 "Niet gevonden");
}

TEST_F(LanguageTest, AcceptLanguageDecidesByQValueWhenNoParameterIsGiven) {
  expect_message(send("GET", "/v2/webhooks", {}, "not-a-token",
                      {{"Accept-Language", "pt-BR, fr;q=0.4, de-CH;q=0.8, ja;q=0.9"}}),
                 401, "InvalidAuthenticationToken", "Ungültiges Authentifizierungstoken");
  expect_message(send("GET", "/v2/webhooks/987654", {}, admin6_,
                      {{"Accept-Language", "de;q=0, nl;q=0.2, *;q=0.1"}}),
                 404, "WebhookNotFound", "Webhook niet gevonden");
  // Before routing too: an unknown route knows no query of its own.
  expect_message(send("DELETE", "/nowhere", {}, "", {{"Accept-Language", "ar"}}), 404, "NotFound",
                 "غير موجود");
  // The parameter wins over the header.
  expect_message(
      send("GET", "/v2/webhooks?language=it", {}, "not-a-token", {{"Accept-Language", "de"}}), 401,
      "InvalidAuthenticationToken", "Token di autenticazione non valido");
  // Nothing supported: English.
  expect_message(send("GET", "/v2/webhooks", {}, "not-a-token", {{"Accept-Language", "pt, ja"}}),
                 401, "InvalidAuthenticationToken", "Invalid authentication token");
}

TEST_F(LanguageTest, AnUnknownLanguageIsEnglishAndNotAnError) {
  expect_message(
      send("GET", "/v2/webhooks?language=xx", {}, "not-a-token", {{"Accept-Language", "de"}}), 401,
      "InvalidAuthenticationToken", "Invalid authentication token");
  // Every route takes the parameter, those with query parameters of their own as well.
  for (const char* path : {"/v2/webhooks?language=xx", "/v2/webhooks?organizationId=6&language=de",
                           "/healthz?language=fr"}) {
    const auto r = send("GET", path, {}, admin6_);
    EXPECT_EQ(r.status, 200) << path << "\n" << r;
  }
  const int64_t id = create_webhook(seed_body(), admin6_);
  const auto deliveries =
      send("GET", "/v2/webhooks/" + std::to_string(id) + "/deliveries?status=pending&language=pl",
           {}, admin6_);
  EXPECT_EQ(deliveries.status, 200) << deliveries;
  // A repeated parameter is still refused, language among them; told in the header's language.
  expect_message(
      send("GET", "/v2/webhooks?language=de&language=fr", {}, admin6_, {{"Accept-Language", "es"}}),
      400, "InvalidQueryParameter", "Parámetro de consulta no válido: language está repetido");
}

TEST_F(LanguageTest, WithoutALanguageTheSeedsUnsupportedProtocolBodyIsTheSeeds) {
  const std::string insecure = R"({"organizationId":7,"webhookUrl":"http://webhooks.athom.com/x",)"
                               R"("topics":["DeviceStatusEvents"]})";
  const std::string seed =
      R"({"message":"Unsupported protocol: We only support https for now.",)"
      R"("code":"WebhookUnsupportedProtocol",)"
      R"("errorMessage":"Unsupported protocol: We only support https for now.",)"
      R"("errorCode":"WebhookUnsupportedProtocol"})";
  EXPECT_EQ(send("POST", "/v2/webhooks", insecure, admin7_).body, seed);
  EXPECT_EQ(send("POST", "/v2/webhooks?language=en", insecure, admin7_).body, seed);
  EXPECT_EQ(send("POST", "/v2/webhooks?language=xx", insecure, admin7_).body, seed);
  const auto german = send("POST", "/v2/webhooks?language=de", insecure, admin7_);
  EXPECT_EQ(
      german.body,
      R"({"message":"Nicht unterstütztes Protokoll: Wir unterstützen derzeit nur https.",)"
      R"("code":"WebhookUnsupportedProtocol",)"
      R"("errorMessage":"Nicht unterstütztes Protokoll: Wir unterstützen derzeit nur https.",)"
      R"("errorCode":"WebhookUnsupportedProtocol"})");
}

// The HTTP server's own refusals come before the router reads the request: English, whatever
// the request asked for.
TEST_F(LanguageTest, WhatTheServerRefusesBeforeRoutingStaysEnglish) {
  RawConnection connection(server_->port());
  connection.send(
      "POST /v2/webhooks?language=de HTTP/1.1\r\nHost: x\r\nAccept-Language: de\r\n"
      "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n");
  const std::string raw = connection.read_until_close();
  ASSERT_EQ(raw.rfind("HTTP/1.1 501", 0), 0u) << raw;
  const auto body = boost::json::parse(raw.substr(raw.find("\r\n\r\n") + 4)).as_object();
  EXPECT_EQ(body.at("code").as_string(), "NotImplemented");
  EXPECT_EQ(body.at("message").as_string(), "Not implemented");
}

}  // namespace
}  // namespace hookd::testing

#include "api/strict_json.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <random>
#include <string>

namespace hookd::api::strict_json {
namespace {

std::string problem_of(std::string_view text) { return problem(text); }

TEST(StrictJsonTest, ARepeatedKeyAtTheTopIsRefusedAndNamed) {
  EXPECT_EQ(problem_of(R"({"organizationId":7,"organizationId":6})"),
            "repeated key \"organizationId\"");
  EXPECT_EQ(problem_of(R"({"a":1,"b":2,"a":1})"), "repeated key \"a\"");
}

TEST(StrictJsonTest, ARepeatedKeyInANestedObjectIsRefused) {
  EXPECT_EQ(problem_of(R"({"data":{"x":1,"y":{"z":1,"z":2}}})"), "repeated key \"z\"");
  EXPECT_EQ(problem_of(R"({"data":{"x":1,"x":1}})"), "repeated key \"x\"");
}

TEST(StrictJsonTest, ARepeatedKeyInAnObjectInsideAnArrayIsRefused) {
  EXPECT_EQ(problem_of(R"({"events":[{"deviceId":85},{"deviceId":85,"deviceId":90}]})"),
            "repeated key \"deviceId\"");
  EXPECT_EQ(problem_of(R"([[{"a":[{"b":1,"b":1}]}]])"), "repeated key \"b\"");
}

TEST(StrictJsonTest, TheSameKeyInSiblingOrNestedObjectsIsNotARepeat) {
  EXPECT_EQ(problem_of(R"({"a":{"a":{"a":1}},"b":{"a":2}})"), "");
  EXPECT_EQ(problem_of(R"({"events":[{"deviceId":85},{"deviceId":90}]})"), "");
  // A key spelt with an escape is the same key.
  EXPECT_EQ(problem_of(R"({"id":1,"\u0069d":2})"), "repeated key \"id\"");
  // Keys that differ only in a later byte, or are prefixes of each other, are different.
  EXPECT_EQ(problem_of(R"({"ab":1,"a":2,"abc":3,"":4})"), "");
}

TEST(StrictJsonTest, RepeatsAmongManyKeysAreFound) {
  // Above the pairwise bound the keys are sorted; the repeat is found wherever it is.
  std::string many = "{";
  for (int i = 0; i < 5000; ++i)
    many += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  EXPECT_EQ(problem_of(many + "\"last\":0}"), "");
  EXPECT_EQ(problem_of(many + "\"k2500\":0}"), "repeated key \"k2500\"");
}

TEST(StrictJsonTest, ALongRepeatedKeyIsCutInTheProblemWithoutSplittingACharacter) {
  const std::string key = std::string(63, 'a') + "\xC3\xA9" + std::string(100, 'b');
  const std::string p = problem_of("{\"" + key + "\":1,\"" + key + "\":2}");
  EXPECT_EQ(p, "repeated key \"" + std::string(63, 'a') + "\"");
}

TEST(StrictJsonTest, ALeadingByteOrderMarkIsIgnored) {
  std::optional<Message> problem;
  auto v = parse("\xEF\xBB\xBF{\"a\":1}", problem);
  ASSERT_TRUE(v) << problem->render(Language::kEn);
  EXPECT_EQ(v->at("a"), 1);
  EXPECT_EQ(document("\xEF\xBB\xBF \n{\"a\":1}\t "), "{\"a\":1}");
  // Only one, and only at the start.
  EXPECT_NE(problem_of("\xEF\xBB\xBF\xEF\xBB\xBF{}"), "");
  EXPECT_NE(problem_of("{}\xEF\xBB\xBF"), "");
  EXPECT_NE(problem_of(" \xEF\xBB\xBF{}"), "");
}

TEST(StrictJsonTest, NumbersThatAreNotFiniteAreRefused) {
  for (const char* text : {R"({"x":1e400})", R"({"x":-1e400})", R"({"x":[1,{"y":1E309}]})",
                           R"({"x":123456789e301})"}) {
    EXPECT_EQ(problem_of(text), "a number is out of range (not finite)") << text;
  }
  for (const char* text : {R"({"x":Infinity})", R"({"x":NaN})", R"({"x":-Infinity})"}) {
    EXPECT_NE(problem_of(text), "") << text;
  }
}

TEST(StrictJsonTest, LargeButFiniteNumbersAreAccepted) {
  for (const char* text : {R"({"x":123456789012345678901234567890})", R"({"x":1.0})", R"({"x":-0})",
                           R"({"x":1E2})", R"({"x":1.7976931348623157e308})", R"({"x":1e-400})",
                           R"({"x":-123456789012345678901234567890.5e10})"}) {
    EXPECT_EQ(problem_of(text), "") << text;
  }
}

TEST(StrictJsonTest, DepthAndEncodingAreStillBounded) {
  EXPECT_EQ(problem_of(std::string(32, '[') + std::string(32, ']')), "");
  EXPECT_EQ(problem_of(std::string(33, '[') + std::string(33, ']')),
            "JSON nested deeper than 32 levels");
  EXPECT_NE(problem_of("{\"a\":\"\xff\"}"), "");
  // A lone surrogate escape names no character, so it cannot be UTF-8 text.
  EXPECT_NE(problem_of(R"({"a":"\ud800"})"), "");
  EXPECT_NE(problem_of(R"({"a":"\udc00x"})"), "");
  EXPECT_EQ(problem_of(R"({"a":"\ud83d\ude00"})"), "");
  EXPECT_NE(problem_of("{\"a\xc3\x28\":1}"), "");
  EXPECT_NE(problem_of("{\"a\":1} x"), "");
  EXPECT_NE(problem_of("{\"a\":1,}"), "");
  EXPECT_NE(problem_of("{\"a\":1}/* c */"), "");
  EXPECT_NE(problem_of(""), "");
}

TEST(StrictJsonTest, ParseBuildsTheSameValueAsBoost) {
  std::optional<Message> problem;
  auto v =
      parse(R"({"a":[1,-2,3.5,"s\u00e9",true,null,{"b":{}}],"c":18446744073709551615})", problem);
  ASSERT_TRUE(v) << problem->render(Language::kEn);
  EXPECT_EQ(*v, boost::json::parse(
                    R"({"a":[1,-2,3.5,"s\u00e9",true,null,{"b":{}}],"c":18446744073709551615})"));
}

TEST(StrictJsonTest, AnUnbuiltKeyIsCheckedButLeftEmpty) {
  std::optional<Message> problem;
  auto v = parse(R"({"data":{"a":[1,{"b":2}]},"x":{"data":[3]},"s":{"data":"t"},"n":1})", problem,
                 "data");
  ASSERT_TRUE(v) << problem->render(Language::kEn);
  EXPECT_EQ(*v, boost::json::parse(R"({"data":{},"x":{"data":[]},"s":{"data":"t"},"n":1})"));
  EXPECT_FALSE(parse(R"({"data":{"a":[{"b":1,"b":2}]}})", problem, "data"));
  EXPECT_EQ(problem->render(Language::kEn), "repeated key \"b\"");
  EXPECT_FALSE(parse(R"({"data":{"a":[1e400]}})", problem, "data"));
  EXPECT_EQ(problem->render(Language::kEn), "a number is out of range (not finite)");
  EXPECT_FALSE(parse(R"({"data":{},"data":{}})", problem, "data"));
  EXPECT_EQ(problem->render(Language::kEn), "repeated key \"data\"");
}

TEST(StrictJsonTest, MemberTextIsTheValueAsSent) {
  const std::string_view event =
      R"( { "deviceId" : 85, "data" : {"big": 123456789012345678901234567890, "f":1.0,)"
      R"( "s":"a\"}\u00e9"} , "z":[1,{"data":2}] } )";
  EXPECT_EQ(member_text(event, "data"),
            R"({"big": 123456789012345678901234567890, "f":1.0, "s":"a\"}\u00e9"})");
  EXPECT_EQ(member_text(event, "deviceId"), "85");
  EXPECT_EQ(member_text(event, "z"), R"([1,{"data":2}])");
  EXPECT_EQ(member_text(event, "missing"), std::nullopt);
  // A key spelt with escapes is found by what it spells.
  EXPECT_EQ(member_text(R"({"\u0064ata":{"x":-0}})", "data"), R"({"x":-0})");
  EXPECT_EQ(member_text(R"({"d\"ata":1,"data":2})", "data"), "2");
}

TEST(StrictJsonTest, MemberTextFindsTheEndOfLongStringsWithEscapedQuotesAndBackslashes) {
  const std::string pad(40, 'x');
  for (const std::string& value :
       {"\"" + pad + "\\\"" + pad + "\"", "\"" + pad + "\\\\\"", "\"" + pad + "\\\\\\\"\"",
        "\"\\\"" + pad + "\\\\" + pad + "\""}) {
    const std::string object = "{\"a\":" + value + ",\"b\":[" + value + "],\"c\":1}";
    ASSERT_EQ(problem(object), "") << object;
    EXPECT_EQ(member_text(object, "a"), value) << object;
    EXPECT_EQ(member_text(object, "b"), "[" + value + "]") << object;
    EXPECT_EQ(member_text(object, "c"), "1") << object;
  }
}

std::vector<std::string_view> element_texts(std::string_view array_text) {
  std::vector<std::string_view> out;
  for (const ElementMember& e : element_members(array_text, "")) out.push_back(e.text);
  return out;
}

TEST(StrictJsonTest, ElementMembersAreTheElementsAsSent) {
  EXPECT_EQ(element_texts(R"([ {"a":"]"} ,2, "x" ,[3,[4]],null])"),
            (std::vector<std::string_view>{R"({"a":"]"})", "2", R"("x")", "[3,[4]]", "null"}));
  EXPECT_TRUE(element_texts("[]").empty());
  EXPECT_TRUE(element_texts(" [ ] ").empty());
  // The array may be followed by more text, as where member_offset points.
  EXPECT_EQ(element_texts(R"([1,[2]],"b":[3]})"), (std::vector<std::string_view>{"1", "[2]"}));

  const auto events = element_members(
      R"([{"deviceId":85,"data":{"x":[1]},"z":{"data":0}},{"deviceId":86},7,{"data" : "s" }])",
      "data");
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].text, R"({"deviceId":85,"data":{"x":[1]},"z":{"data":0}})");
  EXPECT_EQ(events[0].member, R"({"x":[1]})");
  EXPECT_EQ(events[1].text, R"({"deviceId":86})");
  EXPECT_EQ(events[1].member, std::nullopt);
  EXPECT_EQ(events[2].member, std::nullopt);
  EXPECT_EQ(events[3].member, R"("s")");
}

TEST(StrictJsonTest, MemberOffsetIsWhereTheValueBegins) {
  const std::string_view text = R"({ "a" : 1, "events" :  [1,2], "c":3})";
  const auto at = member_offset(text, "events");
  ASSERT_TRUE(at);
  EXPECT_EQ(text.substr(*at, 5), "[1,2]");
  EXPECT_EQ(member_offset(text, "missing"), std::nullopt);
  EXPECT_EQ(member_offset("[1]", "a"), std::nullopt);
}

// Random documents with awkward strings (escapes, quotes, backslashes, long runs, non-ASCII) and
// random whitespace: the reader agrees with boost::json::parse, and every member's and element's
// text reads back as that member's or element's value.
class RandomDocument {
 public:
  explicit RandomDocument(uint32_t seed) : rng_(seed) {}

  std::string value(int depth) {
    switch (pick(depth < 4 ? 7 : 4)) {
      case 0:
        return string();
      case 1:
        return std::to_string(static_cast<int64_t>(rng_()) - (1ll << 31));
      case 2:
        return pick(2) ? "-0.5e-3" : "123456789012345678901234567890";
      case 3:
        return pick(2) ? "true" : "null";
      case 4:
      case 5: {
        std::string out = "{" + space();
        const int n = pick(5);
        for (int i = 0; i < n; ++i) {
          if (i) out += "," + space();
          out += "\"k" + std::to_string(i) + (pick(3) ? "" : "\\\"") + "\"" + space() + ":" +
                 space() + value(depth + 1) + space();
        }
        return out + "}";
      }
      default: {
        std::string out = "[" + space();
        const int n = pick(5);
        for (int i = 0; i < n; ++i) out += (i ? "," : "") + space() + value(depth + 1) + space();
        return out + "]";
      }
    }
  }

 private:
  int pick(int n) { return static_cast<int>(rng_() % static_cast<uint32_t>(n)); }
  std::string space() { return std::string(pick(3), " \n\t"[pick(3)]); }
  std::string string() {
    static const char* pieces[] = {"a",        "\\\"", "\\\\", "\\n", "\\u00e9",
                                   "\xC3\xA9", "]}",   ",:",   "\\/"};
    std::string out = "\"";
    const int n = pick(3) == 0 ? 60 : pick(6);
    for (int i = 0; i < n; ++i) out += pieces[pick(9)];
    return out + "\"";
  }
  std::mt19937 rng_;
};

void expect_spans_read_back(std::string_view text, const boost::json::value& v) {
  if (v.is_object()) {
    for (const auto& member : v.as_object()) {
      const auto span = member_text(text, member.key());
      ASSERT_TRUE(span) << text << " has no " << member.key();
      ASSERT_EQ(boost::json::parse(*span), member.value()) << *span;
      expect_spans_read_back(*span, member.value());
    }
  } else if (v.is_array()) {
    const auto spans = element_texts(text);
    const auto with_first = element_members(text, "k0");
    ASSERT_EQ(spans.size(), v.as_array().size()) << text;
    for (size_t i = 0; i < spans.size(); ++i) {
      ASSERT_EQ(boost::json::parse(spans[i]), v.as_array()[i]) << spans[i];
      const boost::json::object* o = v.as_array()[i].if_object();
      if (o && o->contains("k0")) {
        ASSERT_TRUE(with_first[i].member) << spans[i];
        ASSERT_EQ(boost::json::parse(*with_first[i].member), o->at("k0")) << spans[i];
      } else {
        ASSERT_FALSE(with_first[i].member) << spans[i];
      }
      expect_spans_read_back(spans[i], v.as_array()[i]);
    }
  }
}

TEST(StrictJsonTest, RandomDocumentsReadAsBoostReadsThemAndTheirSpansReadBack) {
  for (uint32_t seed = 1; seed <= 500; ++seed) {
    const std::string text = " " + RandomDocument(seed).value(0) + "\n";
    SCOPED_TRACE(text);
    std::optional<Message> problem;
    const auto v = parse(text, problem);
    ASSERT_TRUE(v) << problem->render(Language::kEn);
    ASSERT_EQ(*v, boost::json::parse(text));
    expect_spans_read_back(document(text), *v);
  }
}

}  // namespace
}  // namespace hookd::api::strict_json

"""Title detection and page-chrome removal: generic rules, checked on small pages, unseen pages and seeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.cleaning import Cleaned, clean, short_title

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
UNSEEN = Path(__file__).resolve().parent / "fixtures" / "unseen"


def seed(prefix: str) -> Cleaned:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return clean(path.read_text(encoding="utf-8"))


def text_of(cleaned: Cleaned) -> str:
    return "\n\n".join(cleaned.paragraphs)


# --- basics ----------------------------------------------------------------------------------


def test_empty_or_blank_text_has_no_title_and_no_paragraphs() -> None:
    assert clean("") == Cleaned(None, ())
    assert clean(" \r\n\t\n\ufeff") == Cleaned(None, ())


def test_line_endings_and_bom_are_normalised() -> None:
    cleaned = clean("\ufeffA Headline Here\r\n\r\nFirst paragraph of the body.\rSecond paragraph of it.\r\n")
    assert cleaned.title == "A Headline Here"
    assert cleaned.paragraphs == ("First paragraph of the body.", "Second paragraph of it.")


def test_paragraphs_are_stripped_source_lines_kept_verbatim() -> None:
    raw = "Headline\n\n   The first  line, with  odd   spacing.   \n\tA second line \u2013 dashes kept.\n"
    assert clean(raw).paragraphs == (
        "The first  line, with  odd   spacing.",
        "A second line \u2013 dashes kept.",
    )


def test_a_subscript_line_break_is_kept_inside_its_paragraph() -> None:
    raw = (
        "Oxygen\n\nThe common allotrope of elemental oxygen on Earth is called dioxygen, formula O\n"
        "2. Diatomic oxygen gas constitutes 20.8% of the volume of air.\n\n"
        "Trioxygen (O\n3) is usually known as ozone.\n"
    )
    cleaned = clean(raw)
    assert cleaned.title == "Oxygen"
    assert cleaned.paragraphs == (
        "The common allotrope of elemental oxygen on Earth is called dioxygen, formula O\n"
        "2. Diatomic oxygen gas constitutes 20.8% of the volume of air.",
        "Trioxygen (O\n3) is usually known as ozone.",
    )


def test_a_hard_wrapped_line_starting_lower_case_continues_the_paragraph() -> None:
    raw = "Headline\n\nThe council voted on a plan that\nwould reopen the library next year.\nIt was close."
    assert clean(raw).paragraphs == (
        "The council voted on a plan that\nwould reopen the library next year.",
        "It was close.",
    )


# --- titles ----------------------------------------------------------------------------------


def test_a_title_ending_with_a_full_stop_above_a_blank_line_is_the_title() -> None:
    raw = (
        "Nutrition and physical activity guidelines for cancer survivors.\n\n"
        "Advances in cancer detection and treatment have improved survival. Many survivors live long."
    )
    cleaned = clean(raw)
    assert cleaned.title == "Nutrition and physical activity guidelines for cancer survivors."
    assert cleaned.paragraphs == (
        "Advances in cancer detection and treatment have improved survival. Many survivors live long.",
    )


def test_dateline_and_byline_are_skipped_for_the_title_and_dropped() -> None:
    raw = (
        "| 3 March 2024, Sunday |\n\nBy Jane Smith and Li Wei, Reuters\n\n"
        "Ferry Operator Cancels Winter Crossings\n\nThe operator cancelled all crossings on Friday."
    )
    cleaned = clean(raw)
    assert cleaned.title == "Ferry Operator Cancels Winter Crossings"
    assert cleaned.paragraphs == ("The operator cancelled all crossings on Friday.",)


def test_a_document_opening_with_body_text_gets_a_short_title_and_keeps_the_line() -> None:
    first = "Scientists have found that honeybees exposed to a common fungicide forage less and get lost more often."
    cleaned = clean(first + "\nThe study tracked 1,200 bees.\n")
    assert cleaned.title == "Scientists have found that honeybees exposed to a common fungicide\u2026"
    assert cleaned.paragraphs == (first, "The study tracked 1,200 bees.")


def test_a_lede_ending_with_a_full_stop_is_not_taken_as_the_title() -> None:
    lede = "Thousands of people were evacuated from coastal towns on Tuesday as the storm approached."
    cleaned = clean(lede + "\n\nForecasters expect the storm to weaken.")
    assert lede in cleaned.paragraphs
    assert cleaned.title is not None and cleaned.title.endswith("\u2026")


def test_a_kicker_above_the_headline_is_not_the_title() -> None:
    raw = (
        "Environment\nFloods force hundreds from homes\nCrews rescued 40 people overnight.\nMore rain is due."
    )
    cleaned = clean(raw)
    assert cleaned.title == "Floods force hundreds from homes"
    assert cleaned.paragraphs == ("Crews rescued 40 people overnight.", "More rain is due.")


def test_a_markdown_heading_is_the_title_without_its_marks() -> None:
    assert clean("# **A Comet Over the Andes**\n\nIt was seen on Monday.").title == "A Comet Over the Andes"


def test_a_lone_headline_is_kept_as_the_body_too() -> None:
    assert clean("Oxygen\n") == Cleaned("Oxygen", ("Oxygen",))


def test_short_title_cuts_at_a_word_boundary_and_drops_trailing_small_words() -> None:
    title = short_title("G7 foreign ministers have said they are deeply concerned by reports of reprisals.")
    assert title == "G7 foreign ministers have said they are deeply concerned\u2026"
    assert short_title("The vote was close.") == "The vote was close"


# --- chrome ----------------------------------------------------------------------------------

BODY = "The minister said the talks would continue next week."


@pytest.mark.parametrize(
    "chrome",
    [
        "Subscribe",
        "Log in or register",
        "To participate in the discussion",
        "Bookmark",
        "Share this article",
        "Advertisement",
        "0",
        "loader",
        "Chats",
        "Newsfeed",
        "World",
        "Facebook Twitter WhatsApp Email",
        "Comments (14)",
        "Source: Read Full Article",
        "Refugees touch down safely after fleeing the fighting [REPORT]",
        "Should the minister resign over the crisis? VOTE [POLL]",
        "\u00a92021 Example L.P.",
        "Copyright 2023 Example Newspapers Ltd. All rights reserved.",
        "\u00a9 AFP 2023 / JANE DOE A vendor waits for customers on a street in the capital on Friday",
        "Police officers stand outside the house in Salisbury. - Example News Agency, 1920, 21.09.2021",
        "A flooded street in the town centre on Monday morning. (Image: Getty)",
        "Photo: Reuters",
        "Protesters gather outside the building on March 12, 2024. REUTERS/Carlos Vega",
        "Ministers meet in the capital on Friday, in a handout picture. via Getty Images",
        "Published 3:14 PM GMT, 12 March 2024 | Updated 5:02 PM GMT",
        "Updated 3 hours ago",
        "By Maria Lopez",
        "Maria Lopez, Political Correspondent",
        "Reporting by Maria Lopez; Editing by Tom Reed",
        "Ministers Clash Over Border Plan",
        "Escalating Fighting",
        "## What happens next",
        "[Read more](https://example.org/story)",
        "https://example.org/story",
        "Read more: Junior doctors vote for fresh strike action",
        "\u0417\u0430\u0433\u043e\u043b\u043e\u0432\u043e\u043a \u043e\u0442\u043a\u0440\u044b\u0432\u0430\u0435\u043c\u043e\u0433\u043e",
        "We use your sign-up to provide content in ways you\u2019ve consented to and to improve our "
        "understanding of you. This may include adverts from us and 3rd parties based on our understanding. "
        "You can unsubscribe at any time. More info",
        "Sign up to our free daily newsletter for the latest news. Enter your email address below.",
        "We use cookies to improve your experience. By continuing to browse, you agree to our use of cookies.",
    ],
)
def test_chrome_lines_are_removed(chrome: str) -> None:
    cleaned = clean(f"A Headline About Talks\n\n{BODY}\n\n{chrome}\n\n{BODY}")
    assert cleaned.paragraphs == (BODY, BODY)


@pytest.mark.parametrize(
    "prose",
    [
        "\u201cEurope must finally become more independent.\u201d",
        "\u201cWe must learn lessons with regard to the USA.",
        "* A group outlawed in many countries.",
        "The council\u2019s privacy policy was criticised by the regulator last year, who found it failed "
        "to explain how residents\u2019 data was shared with contractors.",
        "Residents can sign up for updates on the council website, and more than 2,000 had done so by Friday.",
        "Copyright \u00a9 1996, American Society for Microbiology. Endotoxin raises glucose influx into tissues "
        "by a mechanism that remains unclear in several models of sepsis.",
        "The ratio of prices, 3.5 to 1, was the highest since 1968: a record.",
        "According to the statement:",
    ],
)
def test_body_prose_is_kept(prose: str) -> None:
    cleaned = clean(f"A Headline About Talks\n\n{BODY}\n\n{prose}\n\n{BODY}")
    assert cleaned.paragraphs == (BODY, prose, BODY)


def test_a_link_list_under_a_header_goes_with_its_header() -> None:
    raw = (
        "A Headline About Talks\n\n"
        f"{BODY}\n\n"
        "DON\u2019T MISS\n"
        "Refugees touch down safely after fleeing the fighting [REPORT]\n"
        "Hospital waiting lists hit a new record\n"
        "1 Town council election results in full\n"
        "Which hospitals charge the most for parking?\n\n"
        f"{BODY}"
    )
    assert clean(raw).paragraphs == (BODY, BODY)


def test_non_latin_text_is_kept_on_a_non_latin_page() -> None:
    body = "\u041c\u0438\u043d\u0438\u0441\u0442\u0440 \u0437\u0430\u044f\u0432\u0438\u043b, \u0447\u0442\u043e \u043f\u0435\u0440\u0435\u0433\u043e\u0432\u043e\u0440\u044b \u043f\u0440\u043e\u0434\u043e\u043b\u0436\u0430\u0442\u0441\u044f."
    cleaned = clean(f"\u041f\u0435\u0440\u0435\u0433\u043e\u0432\u043e\u0440\u044b\n\n{body}")
    assert cleaned.paragraphs == (body,)


# --- unseen pages ----------------------------------------------------------------------------
# For each fixture: the expected title, the source lines that are headline (removed), and the
# source lines that are chrome. Every other non-empty line must come out as a paragraph, in order.

UNSEEN_PAGES: dict[str, tuple[str, list[str], list[str]]] = {
    "wire_dateline.txt": (
        "Port strike halts grain exports as talks collapse in Valdora",
        ["Port strike halts grain exports as talks collapse in Valdora"],
        [
            "World News",
            "By Maria Lopez and Tom Reed, Reuters",
            "Published 3:14 PM GMT, 12 March 2024 | Updated 5:02 PM GMT, 12 March 2024",
            "4 min read",
            "Protesters gather outside the port authority building in Santa Mira, Valdora, March 12, 2024. "
            "REUTERS/Carlos Vega",
            "Reporting by Maria Lopez in Santa Mira and Tom Reed in London; Editing by Anna Kim",
            "Our Standards: The Thomson Reuters Trust Principles.",
        ],
    ),
    "blog_markdown.txt": (
        "Amateur astronomers spot a new comet over the Andes",
        ["# Amateur astronomers spot a new comet over the Andes"],
        [
            "[Home](https://example.org/) | [Science](https://example.org/science) | "
            "[Space](https://example.org/space)",
            "*By Lucia Ferraz \u00b7 5 min read*",
            "![The comet photographed from the Atacama desert](https://example.org/img/comet.jpg)",
            "Photo: Lucia Ferraz",
            "## How the comet was found",
            "Read more: [The ten brightest comets of the century](https://example.org/comets)",
            "## When to look",
            "**Related:**",
            "- [How to photograph the night sky with a phone](https://example.org/phone-astro)",
            "- [Chile's dark-sky reserves draw record numbers](https://example.org/dark-sky)",
            "- [Meteor shower peaks this weekend](https://example.org/meteors)",
            "Share on [Twitter](https://twitter.com/share) \u00b7 [Facebook](https://facebook.com/share) \u00b7 "
            "[Email](mailto:?subject=comet)",
            "Tags: [astronomy](https://example.org/t/astronomy), [comets](https://example.org/t/comets)",
        ],
    ),
    "cookie_newsletter.txt": (
        "Council approves plan to reopen Harlow Street library",
        ["Council approves plan to reopen Harlow Street library"],
        [
            "We use cookies to improve your experience on our site and to show you relevant advertising. "
            "By continuing to browse, you agree to our use of cookies.",
            "Accept all cookies",
            "Manage preferences",
            "Skip to main content",
            "Home",
            "News",
            "Sport",
            "Weather",
            "Sign up to our free daily newsletter for the latest local news. Enter your email address below.",
            "Invalid email",
            "Thank you for subscribing!",
            "We have more newsletters",
            "Advertisement",
            "Story continues below advertisement",
            "Copyright 2024 Example Local Media Ltd. All rights reserved.",
            "Privacy policy | Terms of use | Contact us",
        ],
    ),
    "one_line_trending.txt": (
        "Floods force hundreds from homes as river bursts its banks",
        ["Environment", "Floods force hundreds from homes as river bursts its banks"],
        [
            "A flooded street in Millbrook on Monday morning. (Image: Getty)",
            "Most read",
            "1 Town council election results in full",
            "2 Man charged after crash on ring road",
            "3 New bakery opens on market square",
            "Photo: Jane Carter/PA",
            "Trending",
            "Pictures: Rescue boats on the high street",
            "Live updates: Roads closed across the county",
            "Facebook Twitter WhatsApp Email",
            "Comments (14)",
            "Join the conversation",
            "Sort by Newest",
        ],
    ),
    "tabloid_related.txt": (
        "Hospital parking charges to be scrapped for nurses after petition wins 200,000 signatures",
        ["Hospital parking charges to be scrapped for nurses after petition wins 200,000 signatures"],
        [
            "Health Secretary faces pressure over staff shortages",
            "READ MORE: Junior doctors vote for fresh strike action",
            "Nurses leave a hospital in Manchester after a night shift (Image: PA)",
            "MORE ON THIS STORY",
            "Nurses' strike dates confirmed for next month [LATEST]",
            "Hospital waiting lists hit a new record [ANALYSIS]",
            "Which hospitals charge the most for parking? [MAP]",
            "Facebook Twitter WhatsApp Email",
            "Copyright 2023 Example Newspapers Ltd. All rights reserved.",
        ],
    ),
    "body_first_sidebar.txt": (
        "Scientists have found that honeybees exposed to low levels\u2026",
        [],
        [
            "RELATED",
            "Why are bumblebee numbers falling?",
            "Farmers trial flower strips to help pollinators",
            "City rooftops become havens for wild bees",
            "Bookmark",
            "Share this article",
            "\u00a9 2022 Example Media Group",
        ],
    ),
    "feature_quotes.txt": (
        "A long road home: the refugees rebuilding a village by hand",
        ["A long road home: the refugees rebuilding a village by hand"],
        [
            "| Saturday, 14 May 2022 |",
            "By Amira Haddad",
            "Protesters march through the old town of Kessel on Friday. - Example News Agency, 1920, 13.05.2022",
            "Starting over",
            "Subscribe",
            "Log in or register",
            "\u0427\u0438\u0442\u0430\u0442\u044c \u0434\u0430\u043b\u0435\u0435",
            "\u041b\u0435\u043d\u0442\u0430 \u043d\u043e\u0432\u043e\u0441\u0442\u0435\u0439",
            "0",
            "loader",
        ],
    ),
}


def test_every_unseen_fixture_has_expectations() -> None:
    assert sorted(p.name for p in UNSEEN.glob("*.txt")) == sorted(UNSEEN_PAGES)


@pytest.mark.parametrize("name", sorted(UNSEEN_PAGES))
def test_unseen_page_loses_its_chrome_and_keeps_every_body_line(name: str) -> None:
    title, headline_lines, chrome = UNSEEN_PAGES[name]
    raw = (UNSEEN / name).read_text(encoding="utf-8")
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    assert set(chrome) <= set(lines) and set(headline_lines) <= set(lines)  # the expectations are real lines
    expected_body = tuple(line for line in lines if line not in chrome and line not in headline_lines)

    cleaned = clean(raw)

    assert cleaned.title == title
    assert cleaned.paragraphs == expected_body
    assert len(expected_body) >= 5


# --- seeds -----------------------------------------------------------------------------------


def test_seed_000_title_related_headline_signup_and_source_line() -> None:
    cleaned = seed("000")
    text = text_of(cleaned)
    assert cleaned.title == "Afghan crisis: Inside crucial phonecall between Boris Johnson and Joe Biden"
    assert "Calls for impeachment of President Biden over Afghanistan" not in cleaned.paragraphs
    assert "sign-up" not in text and "unsubscribe" not in text
    assert "Source: Read Full Article" not in text
    assert "[REPORT]" not in text and "[POLL]" not in text and "MISS" not in text
    assert "\u201cEurope must finally become more independent.\u201d" in cleaned.paragraphs
    assert (
        "\u201cFrankly at the moment, we are showing more leadership than them.\u201d" in cleaned.paragraphs
    )
    assert len(cleaned.paragraphs) == 21


def test_seed_001_title_is_the_headline_not_the_dateline() -> None:
    cleaned = seed("001")
    assert cleaned.title == "Blinken: US and Nato partners will leave Afghanistan \u2018together\u2019"
    assert "April 2024" not in text_of(cleaned)
    assert cleaned.paragraphs[0].startswith("After Joe Biden indicated that May 1 withdrawal deadline")
    assert len(cleaned.paragraphs) == 19


def test_seed_002_captions_related_headlines_and_widget_are_gone() -> None:
    cleaned = seed("002")
    text = text_of(cleaned)
    assert cleaned.title.startswith("UK Foreign Secretary Hopes Russia, China Will")
    for chrome in (
        "\u00a9 AFP",
        "1920,",
        "Subscribe",
        "Storytelling",
        "Warship Incident",
        "Powder Dry",
        "Newsfeed",
        "loader",
        "Chats",
        "participate",
        "register",
        "\u0417\u0430\u0433\u043e\u043b",
    ):
        assert chrome not in text, chrome
    assert "World" not in cleaned.paragraphs and "Afghanistan" not in cleaned.paragraphs
    assert "* A terrorist group outlawed in Russia and many other countries." in cleaned.paragraphs
    assert "crush terrorism" in text and "Russian Foreign Minister Sergei Lavrov" in text
    assert len(cleaned.paragraphs) == 16


def test_seed_003_opens_with_body_text_so_its_title_is_a_short_first_sentence() -> None:
    cleaned = seed("003")
    assert cleaned.title is not None and cleaned.title.endswith("\u2026")
    assert cleaned.title.startswith("G7 foreign ministers have said")
    assert len(cleaned.title.split()) <= 12
    assert cleaned.paragraphs[0].startswith(
        "G7 foreign ministers have said they are \u201cdeeply concerned\u201d"
    )
    assert len(cleaned.paragraphs) == 12


def test_seed_004_subheading_bookmark_and_copyright_are_gone() -> None:
    cleaned = seed("004")
    text = text_of(cleaned)
    assert cleaned.title == "U.S, Russia in Joint Push for Afghan Power-Sharing Despite Spat"
    assert "Escalating Fighting" not in text and "Bookmark" not in text and "\u00a9" not in text
    assert "The Biden administration will go all-in on this" in text
    assert len(cleaned.paragraphs) == 9


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.name)
def test_every_seed_paragraph_is_a_verbatim_run_of_the_source(path: Path) -> None:
    raw = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    stripped_source = "\n".join(line.strip() for line in raw.split("\n"))
    for paragraph in clean(raw).paragraphs:
        assert paragraph in stripped_source

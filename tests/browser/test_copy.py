"""The copy button of a `pycon` or `console` block copies the code and nothing else: no
`>>> `, `... ` or `$ ` prompt, and none of the output shown under the commands."""

from __future__ import annotations

import re
from collections.abc import Callable

from conftest import Site, Tab, prompt_pages

PROMPTS = {"pycon": (">>> ", "... "), "console": ("$ ",)}
NOTHING = "(the copy button copied nothing)"
#: sphinx-design puts a tab's label just before the tab's content
TAB_LABEL = (
    "xpath=ancestor::div[contains(concat(' ', @class, ' '), ' sd-tab-content ')][1]"
    "/preceding-sibling::label[1]"
)


def code_of(shown: str, prompts: tuple[str, ...]) -> str:
    """What a reader means to copy from a block showing `shown`: the lines typed after a
    prompt, without the prompt."""
    code = []
    for line in shown.splitlines():
        prompt = next((p for p in prompts if line.startswith(p)), None)
        if prompt is not None:
            code.append(line[len(prompt) :])
    return "\n".join(code)


def test_copy_button_copies_only_the_code(new_tab: Callable[..., Tab], prompt_page: str) -> None:
    tab = new_tab(clipboard=True)
    page = tab.open(prompt_page)
    wrong = []
    checked = 0
    for language, prompts in PROMPTS.items():
        blocks = page.locator(f"div.highlight-{language} div.highlight")
        for i in range(blocks.count()):
            block = blocks.nth(i)
            if not block.is_visible():  # in a tab that is not selected: select it
                block.locator(TAB_LABEL).click()
            shown = block.locator("pre").inner_text()
            page.evaluate("text => navigator.clipboard.writeText(text)", NOTHING)
            # The button shows while the mouse is over its block; the click moves the mouse
            # onto it first, as a reader's hand does. sphinx-copybutton copies
            # synchronously, in the click's handler.
            block.locator("button.copybtn").click()
            copied = page.evaluate("() => navigator.clipboard.readText()")
            expected = code_of(shown, prompts)
            checked += 1
            if copied.rstrip("\n") != expected:
                wrong.append(f"{language} block {i}:\n{shown}\ncopied:\n{copied}")
    assert checked, f"{prompt_page}: no pycon or console block"
    assert not wrong, "\n\n".join(wrong)
    tab.assert_clean()


#: Pygments' classes for what a session prints: output, traceback, error
OUTPUT = re.compile(r'<span class="(go|gt|gr)">')


def test_the_copied_blocks_include_output(site: Site) -> None:
    """The copy test sees blocks with output under the prompts, in both languages: else it
    could not tell copying only the code from copying everything."""
    with_output = set()
    for page in prompt_pages(site):
        for language in PROMPTS:
            for block in site.html(page).split(f'<div class="highlight-{language} ')[1:]:
                if OUTPUT.search(block.partition("</pre>")[0]):
                    with_output.add(language)
    assert with_output == set(PROMPTS)


def test_code_of_drops_prompts_and_output() -> None:
    shown = ">>> x = 1\n>>> for i in []:\n...     pass\n...\n>>> x\n1\n"
    assert code_of(shown, PROMPTS["pycon"]) == "x = 1\nfor i in []:\n    pass\nx"

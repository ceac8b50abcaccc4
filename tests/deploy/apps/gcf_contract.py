"""A functions-framework source whose ``handler`` is the function the test put in the slot."""

from tests.deploy import slot

handler = slot.function

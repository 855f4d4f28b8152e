"""Forms of the enablement pages. They carry CSRF and the input rule and render the fields; the services
check every value (``portal.training.courses`` / ``service``) and their messages land next to the fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, DateInput, ListWidget

from portal.core.forms import Form
from portal.partners.forms import TYPE_LABELS
from portal.training.courses import LEVELS, MAX_OPTIONS


class Checkboxes(SelectMultipleField):
    """A list of checkboxes whose values the service checks."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(label, validators, **kwargs)


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def type_choices() -> list[SelectChoice]:
    return choices((k.value, v) for k, v in TYPE_LABELS.items())


class CourseForm(Form):
    title = StringField(_l("Title"))
    summary = TextAreaField(_l("Summary"))
    level = SelectField(_l("Level"), choices=choices(LEVELS.items()), validate_choice=False)
    audience_types = Checkboxes(_l("Partner types (none: every type)"), choices=type_choices())
    audience_tiers = Checkboxes(_l("Tiers (none: every tier)"))
    pass_mark = StringField(_l("Pass mark (%)"), default="80")
    max_attempts = StringField(_l("Attempts limit (0: no limit)"), default="3")


class LessonForm(Form):
    title = StringField(_l("Title"))
    content = TextAreaField(_l("Content (Markdown)"))
    video_url = StringField(_l("Video link"))
    external_url = StringField(_l("External link"))
    attachment = FileField(_l("Attachment (PDF, PNG or JPEG, at most 10 MB)"))


class QuestionForm(Form):
    text = StringField(_l("Question"))
    kind = SelectField(_l("Answers"), choices=choices([("single", _l("Single choice")),
                                                      ("multiple", _l("Multiple choice"))]),
                       validate_choice=False)
    correct = Checkboxes(_l("Correct answers"), choices=choices((n, n) for n in range(1, MAX_OPTIONS + 1)))


for _n in range(1, MAX_OPTIONS + 1):
    setattr(QuestionForm, f"option-{_n}", StringField(_l("Answer %(n)s", n=_n)))


class CertificationForm(Form):
    name = StringField(_l("Name"))
    description = TextAreaField(_l("Description"))
    validity_months = StringField(_l("Valid for (months)"), default="12")
    course_ids = Checkboxes(_l("Courses whose quiz must be passed"))
    status = SelectField(_l("Status"), choices=choices([("active", _l("Active")), ("retired", _l("Retired"))]),
                         validate_choice=False)


class FeedbackForm(Form):
    rating = SelectField(_l("Rating"), choices=choices((n, n) for n in range(5, 0, -1)), validate_choice=False)
    comment = TextAreaField(_l("Comment"))


class ActionForm(Form):
    """A button's form: CSRF and nothing else."""


class ResourceForm(Form):
    title = StringField(_l("Title"))
    description = TextAreaField(_l("Description"))
    category = SelectField(_l("Category"), validate_choice=False)
    audience_types = Checkboxes(_l("Partner types (none: every type)"), choices=type_choices())
    audience_tiers = Checkboxes(_l("Tiers (none: every tier)"))
    file = FileField(_l("File (PDF, PNG or JPEG, at most 10 MB)"))
    url = StringField(_l("Or a link"))
    note = StringField(_l("What changed in this version"))


class AnnouncementForm(Form):
    title = StringField(_l("Title"))
    body = TextAreaField(_l("Message (Markdown)"))
    audience_types = Checkboxes(_l("Partner types (none: every type)"), choices=type_choices())
    audience_tiers = Checkboxes(_l("Tiers (none: every tier)"))
    audience_regions = Checkboxes(_l("Regions (none: every region)"))
    pinned = BooleanField(_l("Pin to the top"))
    expires_on = StringField(_l("Show until (optional)"), widget=DateInput())

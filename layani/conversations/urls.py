"""The agent workspace: the inbox, search, and one conversation with its customer."""

from django.urls import path

from layani.conversations.views import attachments, changes, conversation, inbox, presence

app_name = "inbox"
urlpatterns = [
    path("", inbox.inbox_page, name="inbox"),
    path("rows/", inbox.inbox_list, name="rows"),
    path("search/", inbox.search_page, name="search"),
    path("status/", presence.set_my_status, name="presence"),
    path("files/<int:attachment_id>/", attachments.attachment, name="attachment"),
    path("<int:conversation_id>/", conversation.conversation_page, name="conversation"),
    path(
        "<int:conversation_id>/part/<slug:part>/",
        conversation.conversation_part,
        name="part",
    ),
    path("<int:conversation_id>/send/", changes.compose, name="compose"),
    path(
        "<int:conversation_id>/canned/<int:reply_id>/",
        changes.canned_reply_text,
        name="canned",
    ),
    path("<int:conversation_id>/assign/", changes.assign, name="assign"),
    path("<int:conversation_id>/status/", changes.change_status, name="status"),
    path("<int:conversation_id>/purpose/", changes.change_purpose, name="purpose"),
    path("<int:conversation_id>/priority/", changes.change_priority, name="priority"),
    path("<int:conversation_id>/tags/", changes.change_tags, name="tags"),
    path("<int:conversation_id>/merge/", changes.merge, name="merge"),
    path("<int:conversation_id>/visit/", changes.link_visit, name="visit"),
    path("<int:conversation_id>/what-matters/", changes.what_matters, name="what_matters"),
]

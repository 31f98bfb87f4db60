DROP TABLE IF EXISTS events, api_tokens, failed_sends, sends, campaigns,
    smtp_servers, list_subscribers, subscribers, lists;

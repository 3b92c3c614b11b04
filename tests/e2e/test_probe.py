import re
import urllib.request


def test_probe(live_server):
    html = urllib.request.urlopen(live_server.url + "/").read().decode()
    links = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    print(links)
    for link in links:
        try:
            r = urllib.request.urlopen(live_server.url + link)
            print(link, r.status)
        except Exception as e:
            print(link, e)
